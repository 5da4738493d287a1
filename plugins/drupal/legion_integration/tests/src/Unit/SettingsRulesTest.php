<?php

declare(strict_types=1);

namespace Drupal\Tests\legion_integration\Unit;

use Drupal\legion_integration\SettingsRules;
use Drupal\Tests\UnitTestCase;

/**
 * The allow-lists shared by the forms and the block.
 *
 * @coversDefaultClass \Drupal\legion_integration\SettingsRules
 * @group legion_integration
 */
final class SettingsRulesTest extends UnitTestCase {

  /**
   * @covers ::normalizeServerUrl
   * @dataProvider serverUrls
   */
  public function testServerUrls(string $given, ?string $expected): void {
    $this->assertSame($expected, SettingsRules::normalizeServerUrl($given));
  }

  /**
   * Server URLs and what they become (NULL: refused).
   */
  public static function serverUrls(): array {
    return [
      ['https://legion.example', 'https://legion.example'],
      ['https://legion.example/', 'https://legion.example'],
      ['HTTPS://LEGION.EXAMPLE:8443/x/', 'https://legion.example:8443/x'],
      ['http://127.0.0.1:8000', 'http://127.0.0.1:8000'],
      ['http://localhost:8000', 'http://localhost:8000'],
      ['http://legion.localhost', 'http://legion.localhost'],
      ['http://legion.example', NULL],
      ['ftp://legion.example', NULL],
      ['javascript:alert(1)', NULL],
      ['//legion.example', NULL],
      ['https://legion.example\\@evil.example', NULL],
      ['https://legion.example/ x', NULL],
      ['', NULL],
    ];
  }

  /**
   * @covers ::isClientId
   */
  public function testClientIds(): void {
    $this->assertTrue(SettingsRules::isClientId('lgn_0123456789abcdef01234567'));
    $this->assertFalse(SettingsRules::isClientId('lgn_'));
    $this->assertFalse(SettingsRules::isClientId('LGN_abc'));
    $this->assertFalse(SettingsRules::isClientId("lgn_abc\n"));
    $this->assertFalse(SettingsRules::isClientId('lgn_a b'));
  }

  /**
   * @covers ::chatOptions
   */
  public function testChatOptionsKeepOnlyKnownValues(): void {
    $this->assertSame(
      ['position' => 'inline', 'theme' => 'auto', 'placeholder' => 'Hello'],
      SettingsRules::chatOptions(['position' => ' INLINE ', 'theme' => 'auto', 'placeholder' => "Hello\x00"])
    );
    $this->assertSame(
      ['position' => 'bottom-right', 'theme' => 'dark', 'placeholder' => ''],
      SettingsRules::chatOptions(['position' => ['inline'], 'theme' => NULL])
    );
    $this->assertSame(200, mb_strlen(SettingsRules::chatOptions(['placeholder' => str_repeat('é', 500)])['placeholder']));
  }

}
