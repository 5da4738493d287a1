<?php
/**
 * The bundled widget and the small script that mounts it.
 *
 * Both are registered on every page but printed only where a shortcode or block asks for
 * them (it enqueues them while rendering), in the footer and deferred.
 *
 * @package LegionAIConnect
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

define( 'LEGION_AI_CONNECT_WIDGET_HANDLE', 'legion-ai-connect-widget' );
define( 'LEGION_AI_CONNECT_MOUNT_HANDLE', 'legion-ai-connect' );

add_action( 'wp_enqueue_scripts', 'legion_ai_connect_register_assets' );
add_filter( 'script_loader_tag', 'legion_ai_connect_defer_scripts', 10, 2 );

/**
 * URL of the bundled copy of Legion's widget.js (copied into the zip by the packager).
 *
 * @return string
 */
function legion_ai_connect_widget_url() {
	return LEGION_AI_CONNECT_URL . 'public/js/widget.js';
}

/**
 * Registers the two scripts. The array argument is the WordPress 6.3+ loading strategy;
 * older versions read it as `$in_footer = true`, and the filter below adds `defer`.
 */
function legion_ai_connect_register_assets() {
	$in_footer_deferred = array(
		'in_footer' => true,
		'strategy'  => 'defer',
	);
	wp_register_script( LEGION_AI_CONNECT_WIDGET_HANDLE, legion_ai_connect_widget_url(), array(), LEGION_AI_CONNECT_VERSION, $in_footer_deferred );
	wp_register_script(
		LEGION_AI_CONNECT_MOUNT_HANDLE,
		LEGION_AI_CONNECT_URL . 'public/js/legion-ai-connect.js',
		array( LEGION_AI_CONNECT_WIDGET_HANDLE ),
		LEGION_AI_CONNECT_VERSION,
		$in_footer_deferred
	);
}

/**
 * Adds `defer` to the plugin's script tags where WordPress did not (before 6.3).
 *
 * @param string $tag    The script tag.
 * @param string $handle Its handle.
 * @return string
 */
function legion_ai_connect_defer_scripts( $tag, $handle ) {
	if ( LEGION_AI_CONNECT_WIDGET_HANDLE !== $handle && LEGION_AI_CONNECT_MOUNT_HANDLE !== $handle ) {
		return $tag;
	}
	if ( false !== strpos( $tag, ' defer' ) ) {
		return $tag;
	}
	return str_replace( '<script ', '<script defer ', $tag );
}

/**
 * Queues both scripts for this page (called while a shortcode or block renders).
 */
function legion_ai_connect_enqueue_assets() {
	if ( ! wp_script_is( LEGION_AI_CONNECT_MOUNT_HANDLE, 'registered' ) ) {
		legion_ai_connect_register_assets();
	}
	wp_enqueue_script( LEGION_AI_CONNECT_MOUNT_HANDLE );
}
