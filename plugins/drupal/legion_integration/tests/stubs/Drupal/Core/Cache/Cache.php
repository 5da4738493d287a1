<?php

declare(strict_types=1);

namespace Drupal\Core\Cache;

/**
 * Stand-in for core's Cache helpers.
 */
class Cache {

  /**
   * Merges cache tags without duplicates (as core does).
   */
  public static function mergeTags(array ...$cache_tags): array {
    return array_values(array_unique(array_merge(...$cache_tags)));
  }

}
