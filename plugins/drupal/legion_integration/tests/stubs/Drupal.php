<?php

declare(strict_types=1);

use Symfony\Component\DependencyInjection\ContainerInterface;

/**
 * Stand-in for core's \Drupal: the global service container.
 */
final class Drupal {

  /**
   * The container.
   */
  private static ?ContainerInterface $container = NULL;

  /**
   * Service ids by object id, standing in for the kernel's service id mapping.
   *
   * @var array<int, string>
   */
  private static array $serviceIds = [];

  /**
   * Sets the container and the ids of the services it holds.
   *
   * @param \Symfony\Component\DependencyInjection\ContainerInterface|null $container
   *   The container, or NULL to unset it.
   * @param array<string, object> $services
   *   The services the container holds, by id.
   */
  public static function setContainer(?ContainerInterface $container, array $services = []): void {
    static::$container = $container;
    static::$serviceIds = [];
    foreach ($services as $id => $service) {
      static::$serviceIds[spl_object_id($service)] = $id;
    }
  }

  /**
   * The container.
   */
  public static function getContainer(): ?ContainerInterface {
    return static::$container;
  }

  /**
   * The id under which an object is a service of the container, if it is one.
   */
  public static function serviceIdOf(object $value): ?string {
    return static::$serviceIds[spl_object_id($value)] ?? NULL;
  }

}
