<?php

declare(strict_types=1);

namespace Symfony\Component\DependencyInjection;

/**
 * Stand-in for the part of Symfony's ContainerInterface that plugins use.
 */
interface ContainerInterface {

  /**
   * A service by id.
   */
  public function get(string $id, int $invalidBehavior = 1): ?object;

  /**
   * Whether a service exists.
   */
  public function has(string $id): bool;

}
