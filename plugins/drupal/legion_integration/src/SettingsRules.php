<?php

declare(strict_types=1);

namespace Drupal\legion_integration;

/**
 * The rules the two settings and the block's options follow.
 *
 * Kept in one place so the settings form, the block form and the block's output apply
 * the same allow-lists. Only what a visitor's browser may see is stored: the public
 * Client ID and the server URL; there is no client secret (the widget uses PKCE).
 */
final class SettingsRules {

  /**
   * Positions of the chat; the first is the default.
   */
  public const POSITIONS = ['bottom-right', 'bottom-left', 'inline'];

  /**
   * Themes of the chat; the first is the default.
   */
  public const THEMES = ['dark', 'light', 'auto'];

  /**
   * The longest placeholder kept.
   */
  public const PLACEHOLDER_MAX_LENGTH = 200;

  /**
   * Whether a value is a Client ID as the Legion server issues them.
   */
  public static function isClientId(string $value): bool {
    return preg_match('/^lgn_[A-Za-z0-9_-]{1,100}$/D', $value) === 1;
  }

  /**
   * The server URL without a trailing slash, or NULL when it is not acceptable.
   *
   * Only https, or http on this machine (localhost, *.localhost, loopback); no user
   * information, query, fragment, backslash or dot segment.
   */
  public static function normalizeServerUrl(string $value): ?string {
    $value = trim($value);
    if ($value === '' || strlen($value) > 2048 || preg_match('/^[\x21-\x7e]+$/D', $value) !== 1 || str_contains($value, '\\')) {
      return NULL;
    }
    $parts = parse_url($value);
    if (!is_array($parts) || empty($parts['scheme']) || empty($parts['host'])) {
      return NULL;
    }
    if (isset($parts['user']) || isset($parts['pass']) || isset($parts['query']) || isset($parts['fragment'])) {
      return NULL;
    }
    $scheme = strtolower($parts['scheme']);
    $host = strtolower($parts['host']);
    if ($scheme !== 'https' && !($scheme === 'http' && self::isLocalHost($host))) {
      return NULL;
    }
    $path = $parts['path'] ?? '';
    if (preg_match('#/\.\.?(/|$)#', $path) === 1) {
      return NULL;
    }
    $url = $scheme . '://' . $host . (isset($parts['port']) ? ':' . $parts['port'] : '');
    return $url . rtrim($path, '/');
  }

  /**
   * Hosts where plain http is acceptable because traffic never leaves the machine.
   */
  public static function isLocalHost(string $host): bool {
    return $host === 'localhost'
      || $host === '[::1]'
      || str_ends_with($host, '.localhost')
      || preg_match('/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/D', $host) === 1;
  }

  /**
   * Reduces block options to known positions and themes and a plain-text placeholder.
   *
   * @param array $options
   *   The block's configuration (position, theme, placeholder).
   *
   * @return array{position: string, theme: string, placeholder: string}
   *   Values that are safe to hand to the widget.
   */
  public static function chatOptions(array $options): array {
    $position = is_string($options['position'] ?? NULL) ? strtolower(trim($options['position'])) : '';
    $theme = is_string($options['theme'] ?? NULL) ? strtolower(trim($options['theme'])) : '';
    $placeholder = is_scalar($options['placeholder'] ?? NULL) ? (string) $options['placeholder'] : '';
    $placeholder = trim(preg_replace('/[\x00-\x1f\x7f]+/', ' ', strip_tags($placeholder)) ?? '');
    return [
      'position' => in_array($position, self::POSITIONS, TRUE) ? $position : self::POSITIONS[0],
      'theme' => in_array($theme, self::THEMES, TRUE) ? $theme : self::THEMES[0],
      'placeholder' => mb_substr($placeholder, 0, self::PLACEHOLDER_MAX_LENGTH),
    ];
  }

}
