<?php

declare(strict_types=1);

namespace Drupal\Core\Config;

/**
 * Stand-in config factory over an in-memory store (core's is backed by the database).
 */
class MemoryConfigFactory implements ConfigFactoryInterface {

  /**
   * Saved configuration by name.
   */
  public \ArrayObject $storage;

  /**
   * Constructs the factory with initial configuration by name.
   */
  public function __construct(array $configs = []) {
    $this->storage = new \ArrayObject($configs);
  }

  /**
   * {@inheritdoc}
   */
  public function get($name) {
    return new ImmutableConfig($name, $this->storage);
  }

  /**
   * {@inheritdoc}
   */
  public function getEditable($name) {
    return new Config($name, $this->storage);
  }

}
