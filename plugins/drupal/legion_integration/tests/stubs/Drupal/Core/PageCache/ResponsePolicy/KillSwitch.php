<?php

declare(strict_types=1);

namespace Drupal\Core\PageCache\ResponsePolicy;

use Symfony\Component\HttpFoundation\Request;
use Symfony\Component\HttpFoundation\Response;

/**
 * Stand-in for core's page cache KillSwitch.
 */
class KillSwitch {

  /**
   * What core's response policies answer to deny caching.
   */
  const DENY = 'deny';

  /**
   * Whether caching was denied for this request.
   */
  protected bool $kill = FALSE;

  /**
   * {@inheritdoc}
   */
  public function check(Response $response, Request $request) {
    return $this->kill ? static::DENY : NULL;
  }

  /**
   * Denies caching of the current request.
   */
  public function trigger() {
    $this->kill = TRUE;
  }

}
