<?php

declare(strict_types=1);

namespace Drupal\Core\Form;

use Drupal\Core\Config\ConfigFactoryInterface;
use Symfony\Component\DependencyInjection\ContainerInterface;

/**
 * Stand-in for core's ConfigFormBase.
 */
abstract class ConfigFormBase extends FormBase {

  /**
   * Constructs the form (core 10.2+: the typed config manager is the second argument).
   */
  public function __construct(protected ConfigFactoryInterface $configFactory, protected $typedConfigManager = NULL) {}

  /**
   * {@inheritdoc}
   */
  public static function create(ContainerInterface $container) {
    return new static($container->get('config.factory'), $container->has('config.typed') ? $container->get('config.typed') : NULL);
  }

  /**
   * Names of the configuration objects the form may change.
   */
  abstract protected function getEditableConfigNames();

  /**
   * A configuration object: editable when the form lists it, else read-only.
   */
  protected function config($name) {
    if (in_array($name, $this->getEditableConfigNames(), TRUE)) {
      return $this->configFactory->getEditable($name);
    }
    return $this->configFactory->get($name);
  }

  /**
   * {@inheritdoc}
   */
  public function buildForm(array $form, FormStateInterface $form_state) {
    $form['actions']['#type'] = 'actions';
    $form['actions']['submit'] = [
      '#type' => 'submit',
      '#value' => $this->t('Save configuration'),
      '#button_type' => 'primary',
    ];
    $form['#theme'] = 'system_config_form';
    return $form;
  }

  /**
   * {@inheritdoc}
   */
  public function submitForm(array &$form, FormStateInterface $form_state) {
    $this->messenger()->addStatus($this->t('The configuration options have been saved.'));
  }

}
