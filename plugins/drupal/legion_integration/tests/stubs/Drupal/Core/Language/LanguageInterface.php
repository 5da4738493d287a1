<?php

declare(strict_types=1);

namespace Drupal\Core\Language;

/**
 * Stand-in for core's LanguageInterface: its constants and the getters the tests use.
 */
interface LanguageInterface {

  /**
   * The language code of content whose language is not specified (locked).
   */
  const LANGCODE_NOT_SPECIFIED = 'und';

  /**
   * The language code of content that has no language (locked).
   */
  const LANGCODE_NOT_APPLICABLE = 'zxx';

  /**
   * The language state of configurable (added) languages.
   */
  const STATE_CONFIGURABLE = 1;

  /**
   * The language state of locked languages.
   */
  const STATE_LOCKED = 2;

  /**
   * Configurable and locked languages.
   */
  const STATE_ALL = 3;

  /**
   * The interface language type.
   */
  const TYPE_INTERFACE = 'language_interface';

  /**
   * The URL language type.
   */
  const TYPE_URL = 'language_url';

  /**
   * Left-to-right text.
   */
  const DIRECTION_LTR = 'ltr';

  /**
   * The language's human-readable name.
   */
  public function getName();

  /**
   * The language code.
   */
  public function getId();

  /**
   * The text direction.
   */
  public function getDirection();

  /**
   * The weight, for sorting.
   */
  public function getWeight();

  /**
   * Whether the language is locked (not configurable by site builders).
   */
  public function isLocked();

}
