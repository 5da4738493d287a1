<?php

declare(strict_types=1);

namespace Drupal\Tests\legion_integration\Unit;

use Drupal\Core\Block\Attribute\Block;
use Drupal\Core\Form\FormState;
use Drupal\Core\Language\LanguageManager;
use Drupal\Core\Language\LanguageManagerInterface;
use Drupal\legion_integration\Plugin\Block\LegionChatBlock;
use Drupal\Tests\UnitTestCase;

/**
 * The "Legion AI Chat" block: definition, settings form and render array.
 *
 * @coversDefaultClass \Drupal\legion_integration\Plugin\Block\LegionChatBlock
 * @group legion_integration
 */
final class LegionChatBlockTest extends UnitTestCase {

  /**
   * A block with the given block settings over the given module settings.
   */
  private function block(array $configuration = [], array $settings = ['client_id' => 'lgn_abc123', 'server_url' => 'https://legion.example'], ?LanguageManagerInterface $languages = NULL): LegionChatBlock {
    $factory = $this->getConfigFactoryStub(['legion_integration.settings' => $settings]);
    return LegionChatBlock::create(
      $this->containerWith(['config.factory' => $factory, 'language_manager' => $languages ?? new LanguageManager()]),
      $configuration,
      'legion_integration_chat',
      ['provider' => 'legion_integration'],
    );
  }

  /**
   * The chat element's own settings: its data-legion-config attribute.
   */
  private function elementConfig(array $build): array {
    return json_decode($build['#attributes']['data-legion-config'], TRUE, 8, JSON_THROW_ON_ERROR);
  }

  /**
   * The site's settings the block attaches for the behavior (drupalSettings).
   */
  private function siteSettings(array $build): array {
    return $build['#attached']['drupalSettings']['legionIntegration'];
  }

  /**
   * @coversNothing
   */
  public function testBlockIsDefinedByAttributeAndAnnotation(): void {
    $class = new \ReflectionClass(LegionChatBlock::class);
    $attributes = $class->getAttributes(Block::class);
    $this->assertCount(1, $attributes);
    $definition = $attributes[0]->newInstance();
    $this->assertSame('legion_integration_chat', $definition->id);
    $this->assertSame('Legion AI Chat', (string) $definition->admin_label);

    $this->assertMatchesRegularExpression('/@Block\(\s*\*\s*id = "legion_integration_chat",\s*\*\s*admin_label = @Translation\("Legion AI Chat"\)/', (string) $class->getDocComment());
  }

  /**
   * @covers ::build
   */
  public function testBuildRendersTheChatWithTheSettings(): void {
    $build = $this->block(['position' => 'inline', 'theme' => 'light', 'placeholder' => 'Ask me anything...'])->build();

    $this->assertSame('html_tag', $build['#type']);
    $this->assertSame('div', $build['#tag']);
    $this->assertContains('legion-integration-chat', $build['#attributes']['class']);
    $this->assertSame(['legion_integration/chat'], $build['#attached']['library']);
    $this->assertSame(['legionIntegration'], array_keys($build['#attached']['drupalSettings']));
    $this->assertSame([
      'serverUrl' => 'https://legion.example',
      'clientId' => 'lgn_abc123',
      'redirectUri' => 'https://drupal.example/legion-callback',
    ], $this->siteSettings($build));
    $this->assertSame([
      'position' => 'inline',
      'theme' => 'light',
      'placeholder' => 'Ask me anything...',
    ], $this->elementConfig($build));
  }

  /**
   * Content can forge the element, so it carries nothing about where to connect.
   *
   * @covers ::build
   */
  public function testTheElementCarriesOnlyThePresentationalSettings(): void {
    $build = $this->block([
      'position' => 'bottom-left',
      'theme' => 'auto',
      'serverUrl' => 'https://evil.example',
      'clientId' => 'lgn_attacker',
      'redirectUri' => 'https://evil.example/callback',
    ])->build();
    $this->assertSame(['position' => 'bottom-left', 'theme' => 'auto'], $this->elementConfig($build));
    $attribute = $build['#attributes']['data-legion-config'];
    foreach (['legion.example', 'lgn_', 'legion-callback', 'evil.example'] as $site_value) {
      $this->assertStringNotContainsString($site_value, $attribute);
    }
    $this->assertSame(['class', 'data-legion-config'], array_keys($build['#attributes']));
    $this->assertSame('https://legion.example', $this->siteSettings($build)['serverUrl']);
    $this->assertSame('lgn_abc123', $this->siteSettings($build)['clientId']);
    $this->assertSame('https://drupal.example/legion-callback', $this->siteSettings($build)['redirectUri']);
  }

  /**
   * On a French page of a site with language prefixes, the widget gets the same URI.
   *
   * @covers ::create
   * @covers ::build
   */
  public function testTheRedirectUriHasNoLanguagePrefix(): void {
    $languages = $this->multilingualSite('fr');
    $site = $this->siteSettings($this->block([], ['client_id' => 'lgn_abc123', 'server_url' => 'https://legion.example'], $languages)->build());
    $this->assertSame('https://drupal.example/legion-callback', $site['redirectUri']);
  }

  /**
   * The drupalSettings depend on the settings too: the metadata rides with them.
   *
   * @covers ::build
   * @covers ::getCacheTags
   */
  public function testBuildIsCachedWithTheSettingsTagAndNoVisitorData(): void {
    $block = $this->block();
    $build = $block->build();
    $this->assertArrayHasKey('drupalSettings', $build['#attached']);
    $this->assertContains('config:legion_integration.settings', $build['#cache']['tags']);
    $this->assertContains('url.site', $build['#cache']['contexts']);
    $this->assertContains('config:legion_integration.settings', $block->getCacheTags());
    $this->assertNotContains('user', $build['#cache']['contexts']);
    $this->assertNotContains('session', $build['#cache']['contexts']);
    $this->assertArrayNotHasKey('max-age', $build['#cache']);
  }

  /**
   * @covers ::build
   */
  public function testUnknownValuesFallBackToDefaults(): void {
    $build = $this->block(['position' => '"><script>alert(1)</script>', 'theme' => 'javascript:alert(1)', 'placeholder' => '" onerror="alert(1)'])->build();
    $config = $this->elementConfig($build);
    $this->assertSame('bottom-right', $config['position']);
    $this->assertSame('dark', $config['theme']);
    $this->assertSame('" onerror="alert(1)', $config['placeholder']);
    $this->assertContains('legion-integration-chat--bottom-right', $build['#attributes']['class']);
  }

  /**
   * @covers ::build
   */
  public function testMarkupInThePlaceholderNeverReachesThePageAsHtml(): void {
    $build = $this->block(['placeholder' => '"><script>alert(1)</script><img src=x onerror=alert(2)>'])->build();
    $json = $build['#attributes']['data-legion-config'];
    $this->assertStringNotContainsString('<', $json);
    $this->assertStringNotContainsString('>', $json);
    $this->assertStringNotContainsString('"><', $json);
    $this->assertStringNotContainsString('script', $this->elementConfig($build)['placeholder']);
    $this->assertStringNotContainsString('<', $this->elementConfig($build)['placeholder']);
  }

  /**
   * @covers ::build
   */
  public function testNothingIsRenderedUntilTheModuleIsConfigured(): void {
    $build = $this->block([], ['client_id' => '', 'server_url' => ''])->build();
    $this->assertArrayNotHasKey('#type', $build);
    $this->assertArrayNotHasKey('#attached', $build);
    $this->assertContains('config:legion_integration.settings', $build['#cache']['tags']);
  }

  /**
   * @covers ::__construct
   * @covers ::build
   */
  public function testTheBlockStillRendersAfterCoreSerializesIt(): void {
    // Core serializes plugins (a cached block form, Layout Builder) with
    // DependencySerializationTrait, which restores only the services it can see.
    $factory = $this->getConfigFactoryStub(['legion_integration.settings' => ['client_id' => 'lgn_abc123', 'server_url' => 'https://legion.example']]);
    $services = ['config.factory' => $factory, 'language_manager' => $this->multilingualSite('fr')];
    \Drupal::setContainer($this->containerWith($services), $services);
    try {
      $block = LegionChatBlock::create(\Drupal::getContainer(), ['position' => 'inline'], 'legion_integration_chat', ['provider' => 'legion_integration']);
      $serialized = serialize($block);
      $this->assertStringNotContainsString('MemoryConfigFactory', $serialized);
      $this->assertStringNotContainsString('LanguageManager', $serialized);
      $woken = unserialize($serialized);
      $this->assertSame($block->build(), $woken->build());
      $this->assertSame('https://drupal.example/legion-callback', $this->siteSettings($woken->build())['redirectUri']);
    }
    finally {
      \Drupal::setContainer(NULL);
    }
  }

  /**
   * @covers ::blockForm
   * @covers ::defaultConfiguration
   */
  public function testBlockFormOffersTheThreeSettings(): void {
    $form = $this->block()->blockForm([], new FormState());
    $this->assertSame(['bottom-right', 'bottom-left', 'inline'], array_keys($form['position']['#options']));
    $this->assertSame('bottom-right', $form['position']['#default_value']);
    $this->assertSame(['dark', 'light', 'auto'], array_keys($form['theme']['#options']));
    $this->assertSame('dark', $form['theme']['#default_value']);
    $this->assertSame('textfield', $form['placeholder']['#type']);
    $this->assertSame('', $form['placeholder']['#default_value']);
  }

  /**
   * @covers ::blockValidate
   * @covers ::blockSubmit
   */
  public function testBlockFormRefusesUnknownValuesAndStoresKnownOnes(): void {
    $block = $this->block();
    $bad = (new FormState())->setValues(['position' => 'top', 'theme' => 'neon', 'placeholder' => '']);
    $block->blockValidate([], $bad);
    $this->assertArrayHasKey('position', $bad->getErrors());
    $this->assertArrayHasKey('theme', $bad->getErrors());

    $good = (new FormState())->setValues(['position' => 'bottom-left', 'theme' => 'auto', 'placeholder' => '  Hi <b>there</b> ']);
    $block->blockValidate([], $good);
    $this->assertSame([], $good->getErrors());
    $block->blockSubmit([], $good);
    $configuration = $block->getConfiguration();
    $this->assertSame('bottom-left', $configuration['position']);
    $this->assertSame('auto', $configuration['theme']);
    $this->assertSame('Hi there', $configuration['placeholder']);
  }

}
