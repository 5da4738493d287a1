<?php

declare(strict_types=1);

namespace Drupal\Core\Messenger;

/**
 * Stand-in for core's MessengerInterface.
 */
interface MessengerInterface {

  /**
   * Adds a status message.
   */
  public function addStatus($message, $repeat = FALSE);

}
