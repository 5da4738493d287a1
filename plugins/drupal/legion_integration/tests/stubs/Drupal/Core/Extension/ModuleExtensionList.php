<?php

declare(strict_types=1);

namespace Drupal\Core\Extension;

/**
 * Stand-in for core's ModuleExtensionList: module folders by name.
 */
class ModuleExtensionList {

  /**
   * Constructs the list from folders by module name.
   */
  public function __construct(protected array $paths = []) {}

  /**
   * The folder of a module, relative to the Drupal root.
   */
  public function getPath($extension_name) {
    if (!isset($this->paths[$extension_name])) {
      throw new \InvalidArgumentException("The module $extension_name does not exist.");
    }
    return $this->paths[$extension_name];
  }

}
