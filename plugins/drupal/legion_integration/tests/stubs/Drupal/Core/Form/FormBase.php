<?php

declare(strict_types=1);

namespace Drupal\Core\Form;

use Drupal\Core\Messenger\Messenger;
use Drupal\Core\Messenger\MessengerInterface;
use Drupal\Core\StringTranslation\StringTranslationTrait;

/**
 * Stand-in for core's FormBase.
 */
abstract class FormBase {

  use StringTranslationTrait;

  /**
   * The messenger.
   */
  protected ?MessengerInterface $messenger = NULL;

  /**
   * The form's machine name.
   */
  abstract public function getFormId();

  /**
   * Builds the form.
   */
  abstract public function buildForm(array $form, FormStateInterface $form_state);

  /**
   * Validates the submitted form.
   */
  public function validateForm(array &$form, FormStateInterface $form_state) {}

  /**
   * Handles the submitted form.
   */
  abstract public function submitForm(array &$form, FormStateInterface $form_state);

  /**
   * Sets the messenger.
   */
  public function setMessenger(MessengerInterface $messenger) {
    $this->messenger = $messenger;
    return $this;
  }

  /**
   * The messenger.
   */
  public function messenger() {
    return $this->messenger ??= new Messenger();
  }

}
