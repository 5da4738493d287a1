<?php

declare(strict_types=1);

namespace Drupal\legion_integration;

use Drupal\Core\Language\LanguageInterface;
use Drupal\Core\Language\LanguageManagerInterface;
use Drupal\Core\Url;

/**
 * The Redirect URI to register at Legion: the callback route's absolute URL.
 *
 * One place for the settings form, which shows it, and the chat block, which hands it to
 * the widget: Legion compares redirect URIs character for character, so both must give
 * the same string, whatever the page's language. The URL is built for the locked "Not
 * applicable" language, which URL language negotiation leaves without a path prefix
 * (the current language's prefix, as in /fr/legion-callback, would make the URI differ
 * per language); the route answers the unprefixed path on every site. "Not specified"
 * would not do: the negotiation treats it as the current language.
 */
final class RedirectUri {

  /**
   * The route of the callback page (legion_integration.routing.yml).
   */
  public const ROUTE = 'legion_integration.callback';

  /**
   * The Redirect URI, e.g. https://example.com/legion-callback.
   *
   * @param \Drupal\Core\Language\LanguageManagerInterface $language_manager
   *   Provides the "Not applicable" language.
   */
  public static function build(LanguageManagerInterface $language_manager): string {
    return Url::fromRoute(self::ROUTE, [], [
      'absolute' => TRUE,
      'language' => $language_manager->getLanguage(LanguageInterface::LANGCODE_NOT_APPLICABLE),
    ])->toString();
  }

}
