<?php

declare(strict_types=1);

namespace Drupal\Core\Config;

/**
 * Stand-in for core's Config: a named set of values that a save() stores.
 */
class Config {

  /**
   * Constructs the object over the factory's storage.
   */
  public function __construct(protected string $name, protected \ArrayObject $storage) {
    $this->data = $storage[$name] ?? [];
  }

  /**
   * The values, including unsaved changes.
   */
  protected array $data = [];

  /**
   * The configuration name.
   */
  public function getName() {
    return $this->name;
  }

  /**
   * A value, or all values for ''.
   */
  public function get($key = '') {
    return $key === '' ? $this->data : ($this->data[$key] ?? NULL);
  }

  /**
   * Changes a value (saved by save()).
   */
  public function set($key, $value) {
    $this->data[$key] = $value;
    return $this;
  }

  /**
   * Stores the values.
   */
  public function save($has_trusted_data = FALSE) {
    $this->storage[$this->name] = $this->data;
    return $this;
  }

  /**
   * Cache tags as core gives them: config:NAME.
   */
  public function getCacheTags() {
    return ['config:' . $this->name];
  }

}
