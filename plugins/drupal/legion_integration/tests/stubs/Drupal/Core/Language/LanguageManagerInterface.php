<?php

declare(strict_types=1);

namespace Drupal\Core\Language;

/**
 * Stand-in for core's LanguageManagerInterface (the methods the tests use).
 */
interface LanguageManagerInterface {

  /**
   * Whether more than one language is configured.
   */
  public function isMultilingual();

  /**
   * The current language of a type (negotiated per request in core).
   */
  public function getCurrentLanguage($type = LanguageInterface::TYPE_INTERFACE);

  /**
   * The site's default language.
   */
  public function getDefaultLanguage();

  /**
   * Languages by code, filtered by state (configurable ones by default).
   */
  public function getLanguages($flags = LanguageInterface::STATE_CONFIGURABLE);

  /**
   * A language by code, locked ones included, or NULL.
   */
  public function getLanguage($langcode);

  /**
   * The locked languages every site has: "Not specified" and "Not applicable".
   */
  public function getDefaultLockedLanguages($weight = 0);

}
