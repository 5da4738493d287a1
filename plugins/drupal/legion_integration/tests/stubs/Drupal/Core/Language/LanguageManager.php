<?php

declare(strict_types=1);

namespace Drupal\Core\Language;

use Drupal\Core\StringTranslation\TranslatableMarkup;

/**
 * Stand-in for core's language manager.
 *
 * Core's LanguageManager knows only the default language; the language module's
 * ConfigurableLanguageManager adds the languages a site builder configured and negotiates
 * the current one. This stand-in is given both: the configurable languages (the first is
 * the default) and the current language's code. Locked languages ('und', 'zxx') and the
 * state filtering are as in core.
 */
class LanguageManager implements LanguageManagerInterface {

  /**
   * Configurable languages by code.
   *
   * @var array<string, \Drupal\Core\Language\LanguageInterface>
   */
  protected array $configurable = [];

  /**
   * The current language's code.
   */
  protected string $current;

  /**
   * Constructs the manager.
   *
   * @param array<string, string> $languages
   *   Names of the configurable languages by code; the first is the default.
   * @param string|null $current
   *   The current language's code; the default language when NULL.
   */
  public function __construct(array $languages = ['en' => 'English'], ?string $current = NULL) {
    $weight = 0;
    foreach ($languages as $langcode => $name) {
      $this->configurable[$langcode] = new Language(['id' => $langcode, 'name' => $name, 'weight' => $weight++]);
    }
    $this->current = $current ?? (string) array_key_first($this->configurable);
    if (!isset($this->configurable[$this->current])) {
      throw new \InvalidArgumentException("The current language \"{$this->current}\" is not configured.");
    }
  }

  /**
   * {@inheritdoc}
   */
  public function isMultilingual() {
    return count($this->configurable) > 1;
  }

  /**
   * {@inheritdoc}
   */
  public function getCurrentLanguage($type = LanguageInterface::TYPE_INTERFACE) {
    return $this->configurable[$this->current];
  }

  /**
   * {@inheritdoc}
   */
  public function getDefaultLanguage() {
    return reset($this->configurable);
  }

  /**
   * {@inheritdoc}
   */
  public function getLanguages($flags = LanguageInterface::STATE_CONFIGURABLE) {
    $filtered = [];
    foreach ($this->configurable + $this->getDefaultLockedLanguages(count($this->configurable)) as $langcode => $language) {
      if (($language->isLocked() && ($flags & LanguageInterface::STATE_LOCKED)) || (!$language->isLocked() && ($flags & LanguageInterface::STATE_CONFIGURABLE))) {
        $filtered[$langcode] = $language;
      }
    }
    return $filtered;
  }

  /**
   * {@inheritdoc}
   */
  public function getLanguage($langcode) {
    return $this->getLanguages(LanguageInterface::STATE_ALL)[$langcode] ?? NULL;
  }

  /**
   * {@inheritdoc}
   */
  public function getDefaultLockedLanguages($weight = 0) {
    $locked = ['locked' => TRUE, 'direction' => LanguageInterface::DIRECTION_LTR];
    return [
      LanguageInterface::LANGCODE_NOT_SPECIFIED => new Language([
        'id' => LanguageInterface::LANGCODE_NOT_SPECIFIED,
        'name' => new TranslatableMarkup('Not specified'),
        'weight' => ++$weight,
      ] + $locked),
      LanguageInterface::LANGCODE_NOT_APPLICABLE => new Language([
        'id' => LanguageInterface::LANGCODE_NOT_APPLICABLE,
        'name' => new TranslatableMarkup('Not applicable'),
        'weight' => ++$weight,
      ] + $locked),
    ];
  }

}
