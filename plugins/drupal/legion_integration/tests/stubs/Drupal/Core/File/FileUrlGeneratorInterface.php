<?php

declare(strict_types=1);

namespace Drupal\Core\File;

/**
 * Stand-in for the part of core's FileUrlGeneratorInterface the module uses.
 */
interface FileUrlGeneratorInterface {

  /**
   * A root-relative URL for a file path or stream URI.
   */
  public function generateString(string $uri): string;

}
