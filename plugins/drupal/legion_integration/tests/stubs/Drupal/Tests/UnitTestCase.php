<?php

declare(strict_types=1);

namespace Drupal\Tests;

use Drupal\Core\Config\MemoryConfigFactory;
use Drupal\Core\Language\LanguageManager;
use Drupal\Core\Url;
use PHPUnit\Framework\TestCase;
use Symfony\Component\DependencyInjection\ContainerInterface;

/**
 * Stand-in for core's UnitTestCase, with the helpers the module's tests use.
 */
abstract class UnitTestCase extends TestCase {

  /**
   * {@inheritdoc}
   */
  protected function setUp(): void {
    parent::setUp();
    Url::$baseUrl = 'https://drupal.example';
    Url::$routes = [
      'legion_integration.settings' => '/admin/config/services/legion',
      'legion_integration.callback' => '/legion-callback',
    ];
    Url::$languageManager = NULL;
    Url::$languagePrefixes = [];
  }

  /**
   * A site in these languages with URL-prefix negotiation, showing a page in $current.
   *
   * Url's outbound processing then adds the prefixes; the returned manager is the one
   * to hand out as the language_manager service.
   *
   * @param string $current
   *   The language of the page being built.
   * @param array<string, string> $prefixes
   *   Path prefixes by language code ('' for none); the first language is the default.
   */
  protected function multilingualSite(string $current, array $prefixes = ['en' => '', 'fr' => 'fr']): LanguageManager {
    $names = ['en' => 'English', 'fr' => 'French', 'de' => 'German'];
    $languages = [];
    foreach (array_keys($prefixes) as $langcode) {
      $languages[$langcode] = $names[$langcode] ?? $langcode;
    }
    Url::$languageManager = new LanguageManager($languages, $current);
    Url::$languagePrefixes = $prefixes;
    return Url::$languageManager;
  }

  /**
   * A config factory holding the given configuration by name (core has the same helper).
   */
  public function getConfigFactoryStub(array $configs = []) {
    return new MemoryConfigFactory($configs);
  }

  /**
   * A service container holding the given services by id.
   */
  protected function containerWith(array $services): ContainerInterface {
    return new class($services) implements ContainerInterface {

      /**
       * Constructs the container.
       */
      public function __construct(private array $services) {}

      /**
       * {@inheritdoc}
       */
      public function get(string $id, int $invalidBehavior = 1): ?object {
        if (!isset($this->services[$id])) {
          throw new \RuntimeException("You have requested a non-existent service \"$id\".");
        }
        return $this->services[$id];
      }

      /**
       * {@inheritdoc}
       */
      public function has(string $id): bool {
        return isset($this->services[$id]);
      }

    };
  }

}
