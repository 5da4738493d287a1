<?php
/**
 * The bundled widget and the small script that mounts it.
 *
 * Both are registered on every page but printed only where a shortcode or block asks for
 * them (it enqueues them while rendering), in the footer and deferred.
 *
 * The site's settings (server URL, Client ID, Redirect URI) reach the mount script as
 * data-* attributes of its own <script> tag, added here through `script_loader_tag`:
 * post content can not hold a <script> element, while it can hold any element with any
 * data-* attribute, so an author can not point a chat at another server. No inline
 * script is printed, so a strict Content-Security-Policy still works.
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
add_filter( 'script_loader_tag', 'legion_ai_connect_add_site_config', 10, 2 );

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
 * The settings the mount script needs, by the attribute that carries each on its tag.
 *
 * @return array<string, string>
 */
function legion_ai_connect_site_config() {
	return array(
		'data-legion-server-url'   => legion_ai_connect_server_url(),
		'data-legion-client-id'    => legion_ai_connect_client_id(),
		'data-legion-redirect-uri' => legion_ai_connect_redirect_uri(),
	);
}

/**
 * Puts the site's settings on the mount script's own tag (the one whose id WordPress
 * derives from the handle), escaped for an attribute. Any other tag in `$tag` (another
 * plugin's inline script before ours, say) is left as it is; without the settings the
 * script mounts nothing.
 *
 * @param string $tag    The script tag (with any inline scripts printed around it).
 * @param string $handle Its handle.
 * @return string
 */
function legion_ai_connect_add_site_config( $tag, $handle ) {
	if ( LEGION_AI_CONNECT_MOUNT_HANDLE !== $handle || ! legion_ai_connect_is_configured() ) {
		return $tag;
	}
	$attributes = '';
	foreach ( legion_ai_connect_site_config() as $name => $value ) {
		$attributes .= ' ' . $name . '="' . esc_attr( $value ) . '"';
	}
	$id      = preg_quote( LEGION_AI_CONNECT_MOUNT_HANDLE . '-js', '/' );
	$pattern = '/<script(?=\s)(?=[^>]*\sid=([\'"]?)' . $id . '\1[\s\/>])/i';
	$result  = preg_replace_callback(
		$pattern,
		function () use ( $attributes ) {
			return '<script' . $attributes;
		},
		$tag,
		1
	);
	return is_string( $result ) ? $result : $tag;
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
