<?php

declare(strict_types=1);

namespace Drupal\Core;

/**
 * Stand-in for core's Url over a fixed route table and site base URL.
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
    $path = static::$routes[$this->routeName];
    $base_path = (string) parse_url(static::$baseUrl, PHP_URL_PATH);
    if (!empty($this->options['absolute'])) {
      return rtrim(static::$baseUrl, '/') . $path;
    }
    return rtrim($base_path, '/') . $path;
  }

}
