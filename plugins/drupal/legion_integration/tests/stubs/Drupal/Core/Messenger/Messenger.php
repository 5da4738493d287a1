<?php

declare(strict_types=1);

namespace Drupal\Core\Messenger;

/**
 * Stand-in messenger that keeps messages in memory.
 */
class Messenger implements MessengerInterface {

  /**
   * Status messages added so far.
   */
  public array $statuses = [];

  /**
   * {@inheritdoc}
   */
  public function addStatus($message, $repeat = FALSE) {
    $this->statuses[] = (string) $message;
    return $this;
  }

}
