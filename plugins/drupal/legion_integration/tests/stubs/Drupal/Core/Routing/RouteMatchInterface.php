<?php

declare(strict_types=1);

namespace Drupal\Core\Routing;

/**
 * Stand-in for core's RouteMatchInterface.
 */
interface RouteMatchInterface {

  /**
   * The matched route's name.
   */
  public function getRouteName();

}
