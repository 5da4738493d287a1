<?php

declare(strict_types=1);

namespace Drupal\Component\Utility;

/**
 * Stand-in for core's Html: escape() exactly as core does it.
 */
class Html {

  /**
   * Escapes text for HTML (core: htmlspecialchars with ENT_QUOTES | ENT_SUBSTITUTE).
   */
  public static function escape($text): string {
    return htmlspecialchars((string) $text, ENT_QUOTES | ENT_SUBSTITUTE, 'UTF-8');
  }

}
