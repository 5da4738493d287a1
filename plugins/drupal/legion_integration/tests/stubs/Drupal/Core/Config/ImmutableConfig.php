<?php

declare(strict_types=1);

namespace Drupal\Core\Config;

/**
 * Stand-in for core's ImmutableConfig: reading only.
 */
class ImmutableConfig extends Config {

  /**
   * {@inheritdoc}
   */
  public function set($key, $value) {
    throw new \LogicException("Can not set values on immutable configuration {$this->name}:{$key}. Use \\Drupal\\Core\\Config\\ConfigFactoryInterface::getEditable() to retrieve a mutable configuration object");
  }

  /**
   * {@inheritdoc}
   */
  public function save($has_trusted_data = FALSE) {
    throw new \LogicException("Can not save immutable configuration {$this->name}.");
  }

}
