<?php

declare(strict_types=1);

namespace Drupal\legion_integration\Form;

use Drupal\Core\Form\ConfigFormBase;
use Drupal\Core\Form\FormStateInterface;
use Drupal\legion_integration\RedirectUri;
use Drupal\legion_integration\SettingsRules;
use Symfony\Component\DependencyInjection\ContainerInterface;

/**
 * Configuration > Web services > Legion AI: Client ID, server URL, Redirect URI.
 */
final class LegionSettingsForm extends ConfigFormBase {

  /**
   * The configuration object the form edits.
   */
  private const CONFIG_NAME = 'legion_integration.settings';

  /**
   * Provides the language the Redirect URI is built for.
   *
   * Set by create() rather than the constructor, whose arguments differ between core
   * versions (10.2 added the typed config manager). Untyped and protected, as core
   * declares its injected services.
   *
   * @var \Drupal\Core\Language\LanguageManagerInterface
   */
  protected $languageManager;

  /**
   * {@inheritdoc}
   */
  public static function create(ContainerInterface $container): static {
    $form = parent::create($container);
    $form->languageManager = $container->get('language_manager');
    return $form;
  }

  /**
   * {@inheritdoc}
   */
  public function getFormId(): string {
    return 'legion_integration_settings';
  }

  /**
   * {@inheritdoc}
   */
  protected function getEditableConfigNames(): array {
    return [self::CONFIG_NAME];
  }

  /**
   * {@inheritdoc}
   */
  public function buildForm(array $form, FormStateInterface $form_state): array {
    $config = $this->config(self::CONFIG_NAME);
    $form['intro'] = [
      '#type' => 'html_tag',
      '#tag' => 'p',
      '#value' => $this->t('Register an app of type Drupal on your Legion server with the Redirect URI below, then enter its Client ID here. No secret is needed.'),
    ];
    $form['client_id'] = [
      '#type' => 'textfield',
      '#title' => $this->t('Client ID'),
      '#default_value' => (string) $config->get('client_id'),
      '#maxlength' => 104,
      '#placeholder' => 'lgn_...',
      '#description' => $this->t('The public Client ID of your app on the Legion server (it starts with "lgn_").'),
    ];
    $form['server_url'] = [
      '#type' => 'url',
      '#title' => $this->t('Legion server URL'),
      '#default_value' => (string) $config->get('server_url'),
      '#maxlength' => 2048,
      '#placeholder' => 'https://legion.example',
      '#description' => $this->t('The address of the Legion server your visitors connect to.'),
    ];
    $form['redirect_uri'] = [
      '#type' => 'textfield',
      '#title' => $this->t('Redirect URI'),
      '#value' => RedirectUri::build($this->languageManager),
      // Shown, not edited: no 128-character limit, or a long site URL would fail
      // validation and the form could not be saved.
      '#maxlength' => NULL,
      '#attributes' => ['readonly' => 'readonly'],
      '#description' => $this->t('Register exactly this Redirect URI for your app. It is where the Legion sign-in window returns to; this module serves that page.'),
    ];
    return parent::buildForm($form, $form_state);
  }

  /**
   * {@inheritdoc}
   */
  public function validateForm(array &$form, FormStateInterface $form_state): void {
    $client_id = trim((string) $form_state->getValue('client_id'));
    if ($client_id !== '' && !SettingsRules::isClientId($client_id)) {
      $form_state->setErrorByName('client_id', $this->t('The Client ID looks wrong: it starts with "lgn_" followed by letters and digits, as shown when the app was registered.'));
    }
    $server_url = trim((string) $form_state->getValue('server_url'));
    if ($server_url !== '' && SettingsRules::normalizeServerUrl($server_url) === NULL) {
      $form_state->setErrorByName('server_url', $this->t('The Legion server URL must be a full https:// address such as https://legion.example, without a query or a fragment (http:// only for localhost).'));
    }
    parent::validateForm($form, $form_state);
  }

  /**
   * {@inheritdoc}
   */
  public function submitForm(array &$form, FormStateInterface $form_state): void {
    $server_url = trim((string) $form_state->getValue('server_url'));
    $this->config(self::CONFIG_NAME)
      ->set('client_id', trim((string) $form_state->getValue('client_id')))
      ->set('server_url', $server_url === '' ? '' : (string) SettingsRules::normalizeServerUrl($server_url))
      ->save();
    parent::submitForm($form, $form_state);
  }

}
