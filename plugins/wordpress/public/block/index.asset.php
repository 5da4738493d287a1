<?php
/**
 * Dependencies of the block's editor script (written by hand: the script needs no build).
 *
 * @package LegionAIConnect
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

return array(
	'dependencies' => array( 'wp-blocks', 'wp-block-editor', 'wp-components', 'wp-element', 'wp-i18n' ),
	'version'      => LEGION_AI_CONNECT_VERSION,
);
