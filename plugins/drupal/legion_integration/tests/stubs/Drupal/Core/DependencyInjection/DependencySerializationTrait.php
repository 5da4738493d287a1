<?php

declare(strict_types=1);

namespace Drupal\Core\DependencyInjection;

/**
 * Stand-in for core's DependencySerializationTrait, with the same algorithm.
 *
 * On serialization, properties that hold container services are left out and their
 * service ids kept; on unserialization the services are fetched again. As in core, the
 * properties are found with get_object_vars() in the scope of the class that uses the
 * trait, so a subclass's private properties are neither seen nor restored.
 */
trait DependencySerializationTrait {

  /**
   * Service ids by property name, while serialized.
   *
   * @var array<string, string>
   */
  protected $_serviceIds = [];

  /**
   * {@inheritdoc}
   */
  public function __sleep(): array {
    $vars = get_object_vars($this);
    if (\Drupal::getContainer() !== NULL) {
      foreach ($vars as $key => $value) {
        if (is_object($value) && ($service_id = \Drupal::serviceIdOf($value)) !== NULL) {
          $this->_serviceIds[$key] = $service_id;
          unset($vars[$key]);
        }
      }
    }
    return array_keys($vars);
  }

  /**
   * {@inheritdoc}
   */
  public function __wakeup(): void {
    if (empty($this->_serviceIds)) {
      return;
    }
    $container = \Drupal::getContainer();
    foreach ($this->_serviceIds as $key => $service_id) {
      $this->$key = $container->get($service_id);
    }
    $this->_serviceIds = [];
  }

}
