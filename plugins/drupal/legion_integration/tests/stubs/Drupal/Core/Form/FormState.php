<?php

declare(strict_types=1);

namespace Drupal\Core\Form;

/**
 * Stand-in for core's FormState: values and errors.
 */
class FormState implements FormStateInterface {

  /**
   * Submitted values.
   */
  protected array $values = [];

  /**
   * Errors by element name.
   */
  protected array $errors = [];

  /**
   * {@inheritdoc}
   */
  public function getValue($key, $default = NULL) {
    return $this->values[$key] ?? $default;
  }

  /**
   * {@inheritdoc}
   */
  public function setValue($key, $value) {
    $this->values[$key] = $value;
    return $this;
  }

  /**
   * Sets all submitted values.
   */
  public function setValues(array $values) {
    $this->values = $values;
    return $this;
  }

  /**
   * {@inheritdoc}
   */
  public function setErrorByName($name, $message = '') {
    if (!isset($this->errors[$name])) {
      $this->errors[$name] = $message;
    }
    return $this;
  }

  /**
   * {@inheritdoc}
   */
  public function getErrors() {
    return $this->errors;
  }

}
