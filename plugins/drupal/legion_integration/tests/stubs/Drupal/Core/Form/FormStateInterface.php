<?php

declare(strict_types=1);

namespace Drupal\Core\Form;

/**
 * Stand-in for the part of core's FormStateInterface the module uses.
 */
interface FormStateInterface {

  /**
   * A submitted value.
   */
  public function getValue($key, $default = NULL);

  /**
   * Sets a submitted value.
   */
  public function setValue($key, $value);

  /**
   * Flags an element as having an error.
   */
  public function setErrorByName($name, $message = '');

  /**
   * Errors by element name.
   */
  public function getErrors();

}
