<?php

declare(strict_types=1);

namespace Drupal\Core\Config;

/**
 * Stand-in for the part of core's ConfigFactoryInterface the module uses.
 */
interface ConfigFactoryInterface {

  /**
   * A read-only configuration object.
   */
  public function get($name);

  /**
   * An editable configuration object.
   */
  public function getEditable($name);

}
