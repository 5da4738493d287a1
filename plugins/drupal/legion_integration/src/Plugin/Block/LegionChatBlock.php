<?php

declare(strict_types=1);

namespace Drupal\legion_integration\Plugin\Block;

use Drupal\Core\Block\Attribute\Block;
use Drupal\Core\Block\BlockBase;
use Drupal\Core\Cache\Cache;
use Drupal\Core\Config\ConfigFactoryInterface;
use Drupal\Core\Form\FormStateInterface;
use Drupal\Core\Language\LanguageManagerInterface;
use Drupal\Core\Plugin\ContainerFactoryPluginInterface;
use Drupal\Core\StringTranslation\TranslatableMarkup;
use Drupal\legion_integration\RedirectUri;
use Drupal\legion_integration\SettingsRules;
use Symfony\Component\DependencyInjection\ContainerInterface;

/**
 * The "Legion AI Chat" block.
 *
 * Site builders choose presentation only (position, theme, placeholder); the Client ID
 * and server come from the module's settings. The markup is the same for every visitor
 * (no per-visitor data), so it is cached with the settings' cache tag.
 *
 * The element carries only the presentational options. Content can hold an element that
 * looks just like this one (any text format that allows data-* attributes keeps them),
 * so the server URL, the Client ID and the Redirect URI reach the browser as
 * drupalSettings.legionIntegration instead, which no content can write; the behavior
 * (js/legion-integration.js) takes where to connect only from there.
 *
 * The annotation is read by Drupal 10.0-10.2, the attribute by 10.2 and later.
 *
 * @Block(
 *   id = "legion_integration_chat",
 *   admin_label = @Translation("Legion AI Chat"),
 *   category = @Translation("Legion")
 * )
 */
#[Block(
  id: 'legion_integration_chat',
  admin_label: new TranslatableMarkup('Legion AI Chat'),
  category: new TranslatableMarkup('Legion'),
)]
final class LegionChatBlock extends BlockBase implements ContainerFactoryPluginInterface {

  /**
   * The settings' configuration name.
   */
  private const SETTINGS = 'legion_integration.settings';

  /**
   * Constructs the block.
   *
   * @param array $configuration
   *   The block's configuration.
   * @param string $plugin_id
   *   The plugin ID.
   * @param mixed $plugin_definition
   *   The plugin definition.
   * @param \Drupal\Core\Config\ConfigFactoryInterface $configFactory
   *   Reads the module's settings. Protected, not private or readonly: core's
   *   DependencySerializationTrait (in PluginBase) restores it after serialization.
   * @param \Drupal\Core\Language\LanguageManagerInterface $languageManager
   *   Provides the language the Redirect URI is built for. Protected for the same
   *   reason.
   */
  public function __construct(array $configuration, $plugin_id, $plugin_definition, protected ConfigFactoryInterface $configFactory, protected LanguageManagerInterface $languageManager) {
    parent::__construct($configuration, $plugin_id, $plugin_definition);
  }

  /**
   * {@inheritdoc}
   */
  public static function create(ContainerInterface $container, array $configuration, $plugin_id, $plugin_definition): static {
    return new static($configuration, $plugin_id, $plugin_definition, $container->get('config.factory'), $container->get('language_manager'));
  }

  /**
   * {@inheritdoc}
   */
  public function defaultConfiguration(): array {
    return [
      'position' => SettingsRules::POSITIONS[0],
      'theme' => SettingsRules::THEMES[0],
      'placeholder' => '',
    ];
  }

  /**
   * {@inheritdoc}
   */
  public function blockForm($form, FormStateInterface $form_state): array {
    $options = SettingsRules::chatOptions($this->configuration);
    $form['position'] = [
      '#type' => 'select',
      '#title' => $this->t('Position'),
      '#options' => [
        'bottom-right' => $this->t('Bottom right (floating button)'),
        'bottom-left' => $this->t('Bottom left (floating button)'),
        'inline' => $this->t('Inline (inside the region)'),
      ],
      '#default_value' => $options['position'],
    ];
    $form['theme'] = [
      '#type' => 'select',
      '#title' => $this->t('Theme'),
      '#options' => [
        'dark' => $this->t('Dark'),
        'light' => $this->t('Light'),
        'auto' => $this->t("Auto (follows the visitor's system)"),
      ],
      '#default_value' => $options['theme'],
    ];
    $form['placeholder'] = [
      '#type' => 'textfield',
      '#title' => $this->t('Placeholder'),
      '#description' => $this->t('Shown in the empty message box.'),
      '#default_value' => $options['placeholder'],
      '#maxlength' => SettingsRules::PLACEHOLDER_MAX_LENGTH,
    ];
    return $form;
  }

  /**
   * {@inheritdoc}
   */
  public function blockValidate($form, FormStateInterface $form_state): void {
    if (!in_array($form_state->getValue('position'), SettingsRules::POSITIONS, TRUE)) {
      $form_state->setErrorByName('position', $this->t('Choose one of the listed positions.'));
    }
    if (!in_array($form_state->getValue('theme'), SettingsRules::THEMES, TRUE)) {
      $form_state->setErrorByName('theme', $this->t('Choose one of the listed themes.'));
    }
  }

  /**
   * {@inheritdoc}
   */
  public function blockSubmit($form, FormStateInterface $form_state): void {
    $options = SettingsRules::chatOptions([
      'position' => $form_state->getValue('position'),
      'theme' => $form_state->getValue('theme'),
      'placeholder' => $form_state->getValue('placeholder'),
    ]);
    $this->configuration['position'] = $options['position'];
    $this->configuration['theme'] = $options['theme'];
    $this->configuration['placeholder'] = $options['placeholder'];
  }

  /**
   * {@inheritdoc}
   */
  public function build(): array {
    $settings = $this->configFactory->get(self::SETTINGS);
    $client_id = (string) $settings->get('client_id');
    $server_url = (string) $settings->get('server_url');
    // The markup and the drupalSettings attached to it depend on the settings (cache
    // tag), the Redirect URI also on the site's URL (url.site); an empty block keeps
    // the same metadata, so it renders once the module is configured.
    $build = [
      '#cache' => [
        'tags' => $settings->getCacheTags(),
        'contexts' => ['url.site'],
      ],
    ];
    if ($client_id === '' || $server_url === '') {
      return $build;
    }
    // Only what a site builder chooses goes on the element; where to connect goes to
    // drupalSettings, which content can't write.
    $options = SettingsRules::chatOptions($this->configuration);
    $config = [
      'position' => $options['position'],
      'theme' => $options['theme'],
    ];
    if ($options['placeholder'] !== '') {
      $config['placeholder'] = $options['placeholder'];
    }
    return $build + [
      '#type' => 'html_tag',
      '#tag' => 'div',
      '#attributes' => [
        'class' => ['legion-integration-chat', 'legion-integration-chat--' . $options['position']],
        'data-legion-config' => json_encode($config, JSON_HEX_TAG | JSON_HEX_AMP | JSON_HEX_APOS | JSON_HEX_QUOT | JSON_UNESCAPED_SLASHES | JSON_THROW_ON_ERROR),
      ],
      '#attached' => [
        'library' => ['legion_integration/chat'],
        'drupalSettings' => [
          'legionIntegration' => [
            'serverUrl' => $server_url,
            'clientId' => $client_id,
            'redirectUri' => RedirectUri::build($this->languageManager),
          ],
        ],
      ],
    ];
  }

  /**
   * {@inheritdoc}
   */
  public function getCacheTags(): array {
    return Cache::mergeTags(parent::getCacheTags(), ['config:' . self::SETTINGS]);
  }

}
