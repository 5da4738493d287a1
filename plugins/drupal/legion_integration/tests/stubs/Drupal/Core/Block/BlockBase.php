<?php

declare(strict_types=1);

namespace Drupal\Core\Block;

use Drupal\Core\DependencyInjection\DependencySerializationTrait;
use Drupal\Core\Form\FormStateInterface;
use Drupal\Core\StringTranslation\StringTranslationTrait;

/**
 * Stand-in for core's BlockBase: configuration handling and the form hooks.
 *
 * Serializable like core's plugins (PluginBase uses DependencySerializationTrait).
 */
abstract class BlockBase {

  use DependencySerializationTrait;
  use StringTranslationTrait;

  /**
   * The block's configuration.
   */
  protected $configuration = [];

  /**
   * Constructs the block (core's PluginBase signature).
   */
  public function __construct(array $configuration, protected $pluginId, protected $pluginDefinition) {
    $this->setConfiguration($configuration);
  }

  /**
   * Settings every block has, as in core.
   */
  protected function baseConfigurationDefaults() {
    return [
      'id' => $this->pluginId,
      'label' => '',
      'provider' => $this->pluginDefinition['provider'] ?? '',
      'label_display' => 'visible',
    ];
  }

  /**
   * {@inheritdoc}
   */
  public function defaultConfiguration() {
    return [];
  }

  /**
   * {@inheritdoc}
   */
  public function getConfiguration() {
    return $this->configuration;
  }

  /**
   * {@inheritdoc}
   */
  public function setConfiguration(array $configuration) {
    $this->configuration = array_merge($this->baseConfigurationDefaults(), $this->defaultConfiguration(), $configuration);
  }

  /**
   * The block-specific part of the configuration form.
   */
  public function blockForm($form, FormStateInterface $form_state) {
    return [];
  }

  /**
   * Validates the block-specific settings.
   */
  public function blockValidate($form, FormStateInterface $form_state) {}

  /**
   * Stores the block-specific settings.
   */
  public function blockSubmit($form, FormStateInterface $form_state) {}

  /**
   * The block's render array.
   */
  abstract public function build();

  /**
   * {@inheritdoc}
   */
  public function getCacheTags() {
    return [];
  }

  /**
   * {@inheritdoc}
   */
  public function getCacheContexts() {
    return [];
  }

}
