<?php

/**
 * @file
 * PHPUnit bootstrap: the module's classes, its tests, and stand-ins for Drupal core.
 *
 * Symfony's HttpFoundation is the real one (Debian's php-symfony-http-foundation).
 */

declare(strict_types=1);

$module_dir = dirname(__DIR__);
spl_autoload_register(static function (string $class) use ($module_dir): void {
  $prefixes = [
    'Drupal\\legion_integration\\' => $module_dir . '/src/',
    'Drupal\\Tests\\legion_integration\\' => $module_dir . '/tests/src/',
    '' => $module_dir . '/tests/stubs/',
  ];
  foreach ($prefixes as $prefix => $dir) {
    if ($prefix !== '' && !str_starts_with($class, $prefix)) {
      continue;
    }
    $file = $dir . str_replace('\\', '/', substr($class, strlen($prefix))) . '.php';
    if (is_file($file)) {
      require $file;
      return;
    }
  }
});

$symfony = getenv('LEGION_SYMFONY_HTTP_FOUNDATION') ?: '/usr/share/php/Symfony/Component/HttpFoundation/autoload.php';
if (!is_file($symfony)) {
  fwrite(STDERR, "Symfony HttpFoundation not found at $symfony (Debian package php-symfony-http-foundation)\n");
  exit(2);
}
require_once $symfony;
