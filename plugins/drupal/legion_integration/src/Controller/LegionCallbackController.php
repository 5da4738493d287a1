<?php

declare(strict_types=1);

namespace Drupal\legion_integration\Controller;

use Drupal\Component\Utility\Html;
use Drupal\Core\Config\ConfigFactoryInterface;
use Drupal\Core\Controller\ControllerBase;
use Drupal\Core\Extension\ModuleExtensionList;
use Drupal\Core\File\FileUrlGeneratorInterface;
use Drupal\Core\PageCache\ResponsePolicy\KillSwitch;
use Symfony\Component\DependencyInjection\ContainerInterface;
use Symfony\Component\HttpFoundation\Response;

/**
 * The page at /legion-callback that Legion's sign-in popup returns to.
 *
 * A plain response, not a themed page: the popup needs only the bundled widget in
 * callback mode, which hands the result to the waiting chat on this site's origin and
 * closes the window. The URL carries the authorization code, so the page is never cached
 * (page cache kill switch, `no_cache` route option, `Cache-Control: no-store`) and sends
 * no Referer.
 */
final class LegionCallbackController extends ControllerBase {

  /**
   * Constructs the controller.
   *
   * @param \Drupal\Core\Extension\ModuleExtensionList $moduleList
   *   Finds this module's folder.
   * @param \Drupal\Core\File\FileUrlGeneratorInterface $fileUrlGenerator
   *   Turns the widget's path into a URL.
   * @param \Drupal\Core\PageCache\ResponsePolicy\KillSwitch $pageCacheKillSwitch
   *   Keeps the page out of the page cache.
   * @param \Drupal\Core\Config\ConfigFactoryInterface $config_factory
   *   Reads the module's settings.
   */
  public function __construct(
    private readonly ModuleExtensionList $moduleList,
    private readonly FileUrlGeneratorInterface $fileUrlGenerator,
    private readonly KillSwitch $pageCacheKillSwitch,
    ConfigFactoryInterface $config_factory,
  ) {
    $this->configFactory = $config_factory;
  }

  /**
   * {@inheritdoc}
   */
  public static function create(ContainerInterface $container): static {
    return new static(
      $container->get('extension.list.module'),
      $container->get('file_url_generator'),
      $container->get('page_cache_kill_switch'),
      $container->get('config.factory'),
    );
  }

  /**
   * Builds the callback document.
   */
  public function callback(): Response {
    $this->pageCacheKillSwitch->trigger();
    $widget_path = $this->moduleList->getPath('legion_integration') . '/js/widget.js';
    $widget_url = $this->fileUrlGenerator->generateString($widget_path);
    $server_url = (string) $this->config('legion_integration.settings')->get('server_url');
    $title = Html::escape((string) $this->t('Connecting to Legion'));
    $message = Html::escape((string) $this->t('Finishing the connection to Legion. This window closes by itself.'));
    $html = '<!DOCTYPE html>
<html>
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex, nofollow">
<meta name="referrer" content="no-referrer">
<title>' . $title . '</title>
</head>
<body>
<p>' . $message . '</p>
<script src="' . Html::escape($widget_url) . '" data-legion-callback data-server-url="' . Html::escape($server_url) . '"></script>
</body>
</html>
';
    return new Response($html, 200, [
      'Content-Type' => 'text/html; charset=utf-8',
      'Cache-Control' => 'no-store',
      'Referrer-Policy' => 'no-referrer',
      'X-Robots-Tag' => 'noindex, nofollow',
      'X-Content-Type-Options' => 'nosniff',
    ]);
  }

}
