<?php

declare(strict_types=1);

namespace Drupal\Core\Block\Attribute;

use Drupal\Core\StringTranslation\TranslatableMarkup;

/**
 * Stand-in for core's #[Block] plugin attribute (Drupal 10.2+).
 */
#[\Attribute(\Attribute::TARGET_CLASS)]
class Block {

  /**
   * Constructs the attribute with core's parameters.
   */
  public function __construct(
    public readonly string $id,
    public readonly ?TranslatableMarkup $admin_label = NULL,
    public readonly ?TranslatableMarkup $category = NULL,
    public readonly array $context_definitions = [],
    public readonly ?string $deriver = NULL,
    public readonly array $forms = [],
  ) {}

}
