<?php

declare(strict_types=1);

namespace Drupal\Tests\legion_integration\Unit;

use Drupal\Core\Language\LanguageInterface;
use Drupal\Core\Language\LanguageManager;
use Drupal\Core\Url;
use Drupal\legion_integration\RedirectUri;
use Drupal\Tests\UnitTestCase;

/**
 * The Redirect URI the form shows and the block hands to the widget.
 *
 * @coversDefaultClass \Drupal\legion_integration\RedirectUri
 * @group legion_integration
 */
final class RedirectUriTest extends UnitTestCase {

  /**
   * @covers ::build
   */
  public function testTheUriIsTheCallbackRoutesAbsoluteUrl(): void {
    $this->assertSame('https://drupal.example/legion-callback', RedirectUri::build(new LanguageManager()));
  }

  /**
   * Every language's pages give one URI, in a subfolder too, whatever the prefixes.
   *
   * @covers ::build
   */
  public function testEveryLanguageGivesTheSameUnprefixedUri(): void {
    Url::$baseUrl = 'https://drupal.example/site';
    foreach (['en', 'fr', 'de'] as $current) {
      $languages = $this->multilingualSite($current, ['en' => '', 'fr' => 'fr', 'de' => 'de']);
      $this->assertSame('https://drupal.example/site/legion-callback', RedirectUri::build($languages), $current);
    }
  }

  /**
   * Why "Not applicable": URL negotiation gives "Not specified" the current prefix.
   *
   * @coversNothing
   */
  public function testNotSpecifiedWouldStillBePrefixed(): void {
    $languages = $this->multilingualSite('fr');
    $url = Url::fromRoute(RedirectUri::ROUTE, [], [
      'absolute' => TRUE,
      'language' => $languages->getLanguage(LanguageInterface::LANGCODE_NOT_SPECIFIED),
    ]);
    $this->assertSame('https://drupal.example/fr/legion-callback', $url->toString());
    $url = Url::fromRoute(RedirectUri::ROUTE, [], [
      'absolute' => TRUE,
      'language' => $languages->getLanguage('en'),
    ]);
    $this->assertSame('https://drupal.example/legion-callback', $url->toString());
  }

}
