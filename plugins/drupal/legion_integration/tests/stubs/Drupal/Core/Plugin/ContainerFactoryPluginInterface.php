<?php

declare(strict_types=1);

namespace Drupal\Core\Plugin;

use Symfony\Component\DependencyInjection\ContainerInterface;

/**
 * Stand-in for core's ContainerFactoryPluginInterface.
 */
interface ContainerFactoryPluginInterface {

  /**
   * Creates the plugin with its services from the container.
   */
  public static function create(ContainerInterface $container, array $configuration, $plugin_id, $plugin_definition);

}
