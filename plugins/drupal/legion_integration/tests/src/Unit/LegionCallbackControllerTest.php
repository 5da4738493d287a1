<?php

declare(strict_types=1);

namespace Drupal\Tests\legion_integration\Unit;

use Drupal\Core\Extension\ModuleExtensionList;
use Drupal\Core\File\FileUrlGeneratorInterface;
use Drupal\Core\PageCache\ResponsePolicy\KillSwitch;
use Drupal\legion_integration\Controller\LegionCallbackController;
use Drupal\Tests\UnitTestCase;
use Symfony\Component\HttpFoundation\Request;
use Symfony\Component\HttpFoundation\Response;

/**
 * The /legion-callback page.
 *
 * @coversDefaultClass \Drupal\legion_integration\Controller\LegionCallbackController
 * @group legion_integration
 */
final class LegionCallbackControllerTest extends UnitTestCase {

  /**
   * The kill switch the controller was given.
   */
  private KillSwitch $killSwitch;

  /**
   * Calls the controller as the router would, built through create().
   */
  private function respond(string $server_url = 'https://legion.example'): Response {
    $this->killSwitch = new KillSwitch();
    $urls = new class() implements FileUrlGeneratorInterface {

      /**
       * {@inheritdoc}
       */
      public function generateString(string $uri): string {
        return '/' . ltrim($uri, '/');
      }

    };
    $controller = LegionCallbackController::create($this->containerWith([
      'extension.list.module' => new ModuleExtensionList(['legion_integration' => 'modules/contrib/legion_integration']),
      'file_url_generator' => $urls,
      'page_cache_kill_switch' => $this->killSwitch,
      'config.factory' => $this->getConfigFactoryStub(['legion_integration.settings' => ['client_id' => 'lgn_abc', 'server_url' => $server_url]]),
    ]));
    return $controller->callback();
  }

  /**
   * @covers ::callback
   */
  public function testCallbackLoadsTheBundledWidgetInCallbackMode(): void {
    $response = $this->respond();
    $this->assertSame(200, $response->getStatusCode());
    $this->assertStringStartsWith('text/html', $response->headers->get('Content-Type'));
    $body = $response->getContent();
    $this->assertStringContainsString('<script src="/modules/contrib/legion_integration/js/widget.js" data-legion-callback data-server-url="https://legion.example"></script>', $body);
    $this->assertStringNotContainsString('lgn_abc', $body);
  }

  /**
   * @covers ::callback
   */
  public function testCallbackIsNeverCachedAndSendsNoReferrer(): void {
    $response = $this->respond();
    $this->assertStringContainsString('no-store', $response->headers->get('Cache-Control'));
    $this->assertFalse($response->isCacheable());
    $this->assertSame('no-referrer', $response->headers->get('Referrer-Policy'));
    $this->assertSame(KillSwitch::DENY, $this->killSwitch->check($response, Request::create('/legion-callback?code=x&state=y')));
  }

  /**
   * @covers ::callback
   */
  public function testCallbackEscapesTheServerUrl(): void {
    $body = $this->respond('https://legion.example/"><script>alert(1)</script>')->getContent();
    $this->assertStringNotContainsString('"><script>alert(1)', $body);
    $this->assertStringContainsString('&quot;&gt;&lt;script&gt;', $body);
  }

}
