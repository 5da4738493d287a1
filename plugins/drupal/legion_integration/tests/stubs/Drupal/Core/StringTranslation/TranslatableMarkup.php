<?php

declare(strict_types=1);

namespace Drupal\Core\StringTranslation;

use Drupal\Component\Utility\Html;

/**
 * Stand-in for core's TranslatableMarkup: no translation, core's placeholder rules.
 */
class TranslatableMarkup implements \Stringable {

  /**
   * Constructs the markup.
   */
  public function __construct(protected string $string, protected array $arguments = [], protected array $options = []) {}

  /**
   * The string before placeholders are replaced.
   */
  public function getUntranslatedString(): string {
    return $this->string;
  }

  /**
   * The placeholder values.
   */
  public function getArguments(): array {
    return $this->arguments;
  }

  /**
   * {@inheritdoc}
   */
  public function __toString(): string {
    $replacements = [];
    foreach ($this->arguments as $key => $value) {
      $escaped = Html::escape((string) $value);
      $replacements[$key] = str_starts_with($key, '%') ? '<em class="placeholder">' . $escaped . '</em>' : $escaped;
    }
    return strtr($this->string, $replacements);
  }

}
