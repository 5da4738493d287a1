<?php

declare(strict_types=1);

namespace Drupal\Tests\legion_integration\Unit;

use Drupal\Core\Form\FormState;
use Drupal\Core\Language\LanguageManager;
use Drupal\Core\Language\LanguageManagerInterface;
use Drupal\Core\Url;
use Drupal\legion_integration\Form\LegionSettingsForm;
use Drupal\Tests\UnitTestCase;

/**
 * The settings form: fields, Redirect URI, validation and saving.
 *
 * @coversDefaultClass \Drupal\legion_integration\Form\LegionSettingsForm
 * @group legion_integration
 */
final class LegionSettingsFormTest extends UnitTestCase {

  /**
   * The form under test, built through its create() like core does.
   */
  private function form(array $settings = [], ?LanguageManagerInterface $languages = NULL): array {
    $factory = $this->getConfigFactoryStub([
      'legion_integration.settings' => $settings + ['client_id' => '', 'server_url' => ''],
    ]);
    $form = LegionSettingsForm::create($this->containerWith([
      'config.factory' => $factory,
      'language_manager' => $languages ?? new LanguageManager(),
    ]));
    return [$form, $factory];
  }

  /**
   * Submits values through validateForm (and submitForm when valid).
   */
  private function submit(LegionSettingsForm $form, array $values): FormState {
    $state = (new FormState())->setValues($values);
    $built = $form->buildForm([], $state);
    $form->validateForm($built, $state);
    if (!$state->getErrors()) {
      $form->submitForm($built, $state);
    }
    return $state;
  }

  /**
   * @covers ::buildForm
   */
  public function testFormShowsSettingsAndTheRedirectUriToRegister(): void {
    [$form] = $this->form(['client_id' => 'lgn_abc123', 'server_url' => 'https://legion.example']);
    $built = $form->buildForm([], new FormState());

    $this->assertSame('legion_integration_settings', $form->getFormId());
    $this->assertSame('textfield', $built['client_id']['#type']);
    $this->assertSame('Client ID', (string) $built['client_id']['#title']);
    $this->assertSame('lgn_abc123', $built['client_id']['#default_value']);
    $this->assertSame('url', $built['server_url']['#type']);
    $this->assertSame('Legion server URL', (string) $built['server_url']['#title']);
    $this->assertSame('https://legion.example', $built['server_url']['#default_value']);
    $this->assertSame('https://drupal.example/legion-callback', $built['redirect_uri']['#value']);
    $this->assertSame('readonly', $built['redirect_uri']['#attributes']['readonly']);
    $this->assertArrayHasKey('submit', $built['actions']);
  }

  /**
   * The Redirect URI is the same on every language's pages: Legion matches it exactly.
   *
   * @covers ::create
   * @covers ::buildForm
   * @dataProvider multilingualPages
   */
  public function testTheRedirectUriHasNoLanguagePrefix(string $current, array $prefixes, string $prefixed): void {
    $languages = $this->multilingualSite($current, $prefixes);
    // The site does prefix its URLs: this one is how the URI looked before.
    $this->assertSame($prefixed, Url::fromRoute('legion_integration.callback', [], ['absolute' => TRUE])->toString());

    [$form] = $this->form([], $languages);
    $this->assertSame('https://drupal.example/legion-callback', $form->buildForm([], new FormState())['redirect_uri']['#value']);
  }

  /**
   * Pages of multilingual sites: current language, prefixes, a prefixed callback URL.
   */
  public static function multilingualPages(): array {
    return [
      'French page, English unprefixed' => ['fr', ['en' => '', 'fr' => 'fr'], 'https://drupal.example/fr/legion-callback'],
      'English page, every language prefixed' => ['en', ['en' => 'en', 'fr' => 'fr'], 'https://drupal.example/en/legion-callback'],
    ];
  }

  /**
   * @covers ::buildForm
   */
  public function testALongSiteUrlDoesNotMakeTheFormUnsaveable(): void {
    // Core's FormValidator refuses any element whose #value is longer than its
    // #maxlength, and a textfield's is 128 unless the element says otherwise.
    Url::$baseUrl = 'https://intranet.faculty-of-engineering.university.example/sites/department-of-mechanical-engineering/drupal-site/web';
    [$form] = $this->form();
    $field = $form->buildForm([], new FormState())['redirect_uri'];
    $maxlength = array_key_exists('#maxlength', $field) ? $field['#maxlength'] : 128;
    $this->assertGreaterThan(128, mb_strlen($field['#value']));
    $this->assertTrue($maxlength === NULL || mb_strlen($field['#value']) <= $maxlength);
  }

  /**
   * @covers ::validateForm
   * @covers ::submitForm
   */
  public function testValidSettingsAreSavedNormalized(): void {
    [$form, $factory] = $this->form();
    $state = $this->submit($form, ['client_id' => ' lgn_0123abcd ', 'server_url' => 'https://Legion.Example/base/']);

    $this->assertSame([], $state->getErrors());
    $saved = $factory->get('legion_integration.settings');
    $this->assertSame('lgn_0123abcd', $saved->get('client_id'));
    $this->assertSame('https://legion.example/base', $saved->get('server_url'));
    $this->assertSame(['The configuration options have been saved.'], $form->messenger()->statuses);
  }

  /**
   * @covers ::validateForm
   */
  public function testLoopbackHttpIsAcceptedForLocalServers(): void {
    [$form, $factory] = $this->form();
    $state = $this->submit($form, ['client_id' => 'lgn_x', 'server_url' => 'http://legion.localhost:8000']);
    $this->assertSame([], $state->getErrors());
    $this->assertSame('http://legion.localhost:8000', $factory->get('legion_integration.settings')->get('server_url'));
  }

  /**
   * Bad input is refused with an error on its field and nothing is saved.
   *
   * @covers ::validateForm
   * @dataProvider badSettings
   */
  public function testBadSettingsAreRefusedAndNothingIsSaved(string $field, string $client_id, string $server_url): void {
    [$form, $factory] = $this->form(['client_id' => 'lgn_before', 'server_url' => 'https://before.example']);
    $state = $this->submit($form, ['client_id' => $client_id, 'server_url' => $server_url]);

    $this->assertArrayHasKey($field, $state->getErrors());
    $saved = $factory->get('legion_integration.settings');
    $this->assertSame('lgn_before', $saved->get('client_id'));
    $this->assertSame('https://before.example', $saved->get('server_url'));
  }

  /**
   * Client IDs and server URLs that must be refused.
   */
  public static function badSettings(): array {
    return [
      'client id without prefix' => ['client_id', 'abc123', 'https://legion.example'],
      'client id with markup' => ['client_id', 'lgn_"><script>alert(1)</script>', 'https://legion.example'],
      'client secret pasted' => ['client_id', 'lgs_secretsecret', 'https://legion.example'],
      'javascript url' => ['server_url', 'lgn_ok', 'javascript:alert(1)'],
      'plain http off loopback' => ['server_url', 'lgn_ok', 'http://legion.example'],
      'query' => ['server_url', 'lgn_ok', 'https://legion.example/?x=1'],
      'fragment' => ['server_url', 'lgn_ok', 'https://legion.example/#x'],
      'userinfo' => ['server_url', 'lgn_ok', 'https://user@legion.example'],
      'attribute breakout' => ['server_url', 'lgn_ok', 'https://legion.example/" onerror="alert(1)'],
      'no host' => ['server_url', 'lgn_ok', 'https://'],
      'dot segment' => ['server_url', 'lgn_ok', 'https://legion.example/a/../b'],
    ];
  }

  /**
   * @covers ::submitForm
   */
  public function testEmptySettingsClearTheChat(): void {
    [$form, $factory] = $this->form(['client_id' => 'lgn_before', 'server_url' => 'https://before.example']);
    $state = $this->submit($form, ['client_id' => '', 'server_url' => '']);
    $this->assertSame([], $state->getErrors());
    $this->assertSame('', $factory->get('legion_integration.settings')->get('client_id'));
    $this->assertSame('', $factory->get('legion_integration.settings')->get('server_url'));
  }

}
