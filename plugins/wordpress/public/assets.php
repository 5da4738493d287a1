<?php
/**
 * The bundled widget and the small script that mounts it.
 *
 * Both are registered on every page but printed only where a shortcode or block asks for
 * them (it enqueues them while rendering), in the footer and deferred.
 *
 * The site's settings (server URL, Client ID, Redirect URI) reach the mount script in a
 * JSON data block printed with the footer scripts, on pages that render a chat only:
 * `<script type="application/json" id="legion-ai-connect-settings">`. Post content can
 * not hold a <script> element (WordPress strips them from authors' posts), while it can
 * hold any element with any id and data-* attribute, so an author can not point a chat at
 * another server. The block is data, not code: optimizers that combine, move, delay or
 * strip the attributes of script tags handle JavaScript types and leave it alone, and a
 * strict Content-Security-Policy does not apply to it.
 *
 * @package LegionAIConnect
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

define( 'LEGION_AI_CONNECT_WIDGET_HANDLE', 'legion-ai-connect-widget' );
define( 'LEGION_AI_CONNECT_MOUNT_HANDLE', 'legion-ai-connect' );
define( 'LEGION_AI_CONNECT_SETTINGS_ID', 'legion-ai-connect-settings' );

add_action( 'wp_enqueue_scripts', 'legion_ai_connect_register_assets' );
add_filter( 'script_loader_tag', 'legion_ai_connect_defer_scripts', 10, 2 );
// Priority 9: just before WordPress prints the footer scripts (_wp_footer_scripts, 10).
add_action( 'wp_print_footer_scripts', 'legion_ai_connect_print_site_settings', 9 );

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
 * The settings the mount script needs, by the name it reads each under.
 *
 * @return array{serverUrl: string, clientId: string, redirectUri: string}
 */
function legion_ai_connect_site_settings() {
	return array(
		'serverUrl'   => legion_ai_connect_server_url(),
		'clientId'    => legion_ai_connect_client_id(),
		'redirectUri' => legion_ai_connect_redirect_uri(),
	);
}

/**
 * Prints the site's settings as a JSON data block, once, where the mount script is queued
 * (a shortcode or block rendered a chat) and the plugin is configured. Hooked just before
 * the footer scripts; the mount script reads the block once the document is parsed, so it
 * also works where an optimizer moved the scripts or dropped their `defer`.
 *
 * The JSON escapes <, >, &, ' and " as \u00XX, so no text in it can close the element or
 * open a comment.
 */
function legion_ai_connect_print_site_settings() {
	static $printed = false;
	if ( $printed || ! wp_script_is( LEGION_AI_CONNECT_MOUNT_HANDLE, 'enqueued' ) || ! legion_ai_connect_is_configured() ) {
		return;
	}
	$json = wp_json_encode( legion_ai_connect_site_settings(), JSON_HEX_TAG | JSON_HEX_AMP | JSON_HEX_APOS | JSON_HEX_QUOT );
	if ( ! is_string( $json ) ) {
		return;
	}
	$printed    = true;
	$attributes = array(
		'type' => 'application/json',
		'id'   => LEGION_AI_CONNECT_SETTINGS_ID,
	);
	// WordPress 5.7+ (so every version this plugin supports); the fallback prints the same.
	if ( function_exists( 'wp_print_inline_script_tag' ) ) {
		wp_print_inline_script_tag( $json, $attributes );
		return;
	}
	printf(
		'<script type="application/json" id="%1$s">%2$s</script>' . "\n",
		esc_attr( LEGION_AI_CONNECT_SETTINGS_ID ),
		$json // phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped -- JSON with <, >, &, quotes as \u00XX.
	);
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
