<?php

declare(strict_types=1);

namespace Drupal\Core;

use Drupal\Core\Language\LanguageInterface;
use Drupal\Core\Language\LanguageManagerInterface;

/**
 * Stand-in for core's Url over a fixed route table and site base URL.
 *
 * With a language manager set, outbound paths get the language prefix the way the
 * language module's LanguageNegotiationUrl::processOutbound() adds it under URL-prefix
 * negotiation.
 */
class Url {

  /**
   * Paths by route name, as the routing files declare them.
   */
  public static array $routes = [];

  /**
   * The site's base URL (scheme, host and base path).
   */
  public static string $baseUrl = 'http://localhost';

  /**
   * The language manager LanguageNegotiationUrl asks, or NULL for no URL negotiation.
   *
   * NULL stands for a site where that outbound path processor does not run (the language
   * module is not installed, or URL negotiation is off): no path gets a prefix.
   */
  public static ?LanguageManagerInterface $languageManager = NULL;

  /**
   * Path prefixes by language code, as in language.negotiation:url.prefixes ('' = none).
   *
   * @var array<string, string>
   */
  public static array $languagePrefixes = [];

  /**
   * Constructs a URL to a route.
   */
  public function __construct(protected string $routeName, protected array $routeParameters = [], protected array $options = []) {}

  /**
   * A URL to a route (core's signature).
   */
  public static function fromRoute($route_name, $route_parameters = [], $options = []) {
    return new static($route_name, $route_parameters, $options);
  }

  /**
   * Makes the URL absolute.
   */
  public function setAbsolute($absolute = TRUE) {
    $this->options['absolute'] = $absolute;
    return $this;
  }

  /**
   * The URL as a string.
   */
  public function toString($collect_bubbleable_metadata = FALSE) {
    if (!isset(static::$routes[$this->routeName])) {
      throw new \InvalidArgumentException("Route \"{$this->routeName}\" does not exist.");
    }
    $path = '/' . $this->languagePrefix() . ltrim(static::$routes[$this->routeName], '/');
    $base_path = (string) parse_url(static::$baseUrl, PHP_URL_PATH);
    if (!empty($this->options['absolute'])) {
      return rtrim(static::$baseUrl, '/') . $path;
    }
    return rtrim($base_path, '/') . $path;
  }

  /**
   * The path prefix ('fr/' or '') LanguageNegotiationUrl::processOutbound() would add.
   *
   * As in core: without a 'language' option, or with the "Not specified" language, the
   * current URL language's prefix; with any other language that is not a configurable
   * one (such as the locked "Not applicable"), none; else that language's prefix.
   */
  protected function languagePrefix(): string {
    $manager = static::$languageManager;
    if ($manager === NULL) {
      return '';
    }
    $languages = array_flip(array_keys($manager->getLanguages()));
    $language = $this->options['language'] ?? NULL;
    if ($language === NULL || ($language instanceof LanguageInterface && $language->getId() == LanguageInterface::LANGCODE_NOT_SPECIFIED)) {
      $language = $manager->getCurrentLanguage(LanguageInterface::TYPE_URL);
    }
    elseif (!is_object($language) || !isset($languages[$language->getId()])) {
      return '';
    }
    $prefix = static::$languagePrefixes[$language->getId()] ?? '';
    return $prefix === '' ? '' : $prefix . '/';
  }

}
