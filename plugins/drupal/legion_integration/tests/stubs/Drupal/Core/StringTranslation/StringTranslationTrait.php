<?php

declare(strict_types=1);

namespace Drupal\Core\StringTranslation;

/**
 * Stand-in for core's StringTranslationTrait.
 */
trait StringTranslationTrait {

  /**
   * Translates a string (the stand-in keeps it as is).
   */
  protected function t($string, array $args = [], array $options = []) {
    return new TranslatableMarkup($string, $args, $options);
  }

}
