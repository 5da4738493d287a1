<?php

declare(strict_types=1);

namespace Drupal\Core\Language;

/**
 * Stand-in for core's Language value object (same constructor values).
 */
class Language implements LanguageInterface {

  /**
   * The human-readable name.
   */
  protected $name = '';

  /**
   * The language code.
   */
  protected $id = '';

  /**
   * The text direction.
   */
  protected $direction = self::DIRECTION_LTR;

  /**
   * The weight.
   */
  protected $weight = 0;

  /**
   * Whether the language is locked.
   */
  protected $locked = FALSE;

  /**
   * Constructs the language from id, name, direction, weight and locked.
   */
  public function __construct(array $values = []) {
    foreach ($values as $key => $value) {
      if (property_exists($this, $key)) {
        $this->{$key} = $value;
      }
    }
  }

  /**
   * {@inheritdoc}
   */
  public function getName() {
    return $this->name;
  }

  /**
   * {@inheritdoc}
   */
  public function getId() {
    return $this->id;
  }

  /**
   * {@inheritdoc}
   */
  public function getDirection() {
    return $this->direction;
  }

  /**
   * {@inheritdoc}
   */
  public function getWeight() {
    return $this->weight;
  }

  /**
   * {@inheritdoc}
   */
  public function isLocked() {
    return (bool) $this->locked;
  }

}
