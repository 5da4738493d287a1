<?php
/**
 * The plugin's two settings and the rules they follow.
 *
 * Only what a visitor's browser may see is stored: the public Client ID and the server
 * URL. There is no client secret: the widget is a public OAuth client that uses PKCE.
 *
 * @package LegionAIConnect
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

define( 'LEGION_AI_CONNECT_OPTION_CLIENT_ID', 'legion_client_id' );
define( 'LEGION_AI_CONNECT_OPTION_SERVER_URL', 'legion_server_url' );

/**
 * The saved Client ID, or the preset one while nothing was saved.
 *
 * @return string
 */
function legion_ai_connect_client_id() {
	$defaults = legion_ai_connect_defaults();
	$value    = get_option( LEGION_AI_CONNECT_OPTION_CLIENT_ID, $defaults['client_id'] );
	return is_string( $value ) ? $value : '';
}

/**
 * The saved Legion server URL (no trailing slash), or the preset one.
 *
 * @return string
 */
function legion_ai_connect_server_url() {
	$defaults = legion_ai_connect_defaults();
	$value    = get_option( LEGION_AI_CONNECT_OPTION_SERVER_URL, $defaults['server_url'] );
	return is_string( $value ) ? $value : '';
}

/**
 * Whether both settings are filled in, so that a chat can be shown.
 *
 * @return bool
 */
function legion_ai_connect_is_configured() {
	return '' !== legion_ai_connect_client_id() && '' !== legion_ai_connect_server_url();
}

/**
 * Checks a Client ID as the Legion server issues them (`lgn_` and letters or digits).
 *
 * @param mixed $value The submitted value.
 * @return string|WP_Error The cleaned value ('' clears it), or why it was refused.
 */
function legion_ai_connect_validate_client_id( $value ) {
	if ( ! is_string( $value ) ) {
		return new WP_Error( 'legion_client_id_invalid', __( 'The Client ID must be text.', 'legion-ai-connect' ) );
	}
	$value = trim( $value );
	if ( '' === $value ) {
		return '';
	}
	if ( 1 !== preg_match( '/^lgn_[A-Za-z0-9_-]{1,100}$/D', $value ) ) {
		return new WP_Error(
			'legion_client_id_invalid',
			__( 'The Client ID looks wrong: it starts with "lgn_" followed by letters and digits, as shown when the app was registered.', 'legion-ai-connect' )
		);
	}
	return $value;
}

/**
 * Checks a Legion server URL: https, or http only on this machine (localhost, loopback).
 *
 * @param mixed $value The submitted value.
 * @return string|WP_Error The cleaned URL without a trailing slash ('' clears it), or why it was refused.
 */
function legion_ai_connect_validate_server_url( $value ) {
	$invalid = new WP_Error(
		'legion_server_url_invalid',
		__( 'The Legion server URL must be a full https:// address such as https://legion.example, without a query or a fragment (http:// only for localhost).', 'legion-ai-connect' )
	);
	if ( ! is_string( $value ) ) {
		return $invalid;
	}
	$value = trim( $value );
	if ( '' === $value ) {
		return '';
	}
	if ( strlen( $value ) > 2048 || 1 !== preg_match( '/^[\x21-\x7e]+$/D', $value ) ) {
		return $invalid;
	}
	$parts = wp_parse_url( $value );
	if ( ! is_array( $parts ) || empty( $parts['scheme'] ) || empty( $parts['host'] ) ) {
		return $invalid;
	}
	$scheme = strtolower( $parts['scheme'] );
	$host   = strtolower( $parts['host'] );
	if ( isset( $parts['user'] ) || isset( $parts['pass'] ) || isset( $parts['query'] ) || isset( $parts['fragment'] ) ) {
		return $invalid;
	}
	if ( 'https' !== $scheme && ! ( 'http' === $scheme && legion_ai_connect_is_local_host( $host ) ) ) {
		return $invalid;
	}
	if ( false !== strpos( $value, '\\' ) || 1 === preg_match( '#/\.\.?(/|$)#', isset( $parts['path'] ) ? $parts['path'] : '' ) ) {
		return $invalid;
	}
	$url = $scheme . '://' . $host;
	if ( isset( $parts['port'] ) ) {
		$url .= ':' . (int) $parts['port'];
	}
	if ( isset( $parts['path'] ) ) {
		$url .= untrailingslashit( $parts['path'] );
	}
	return esc_url_raw( $url, array( 'http', 'https' ) );
}

/**
 * Hosts where plain http is acceptable because traffic never leaves the machine.
 *
 * @param string $host A lower-case host name or address.
 * @return bool
 */
function legion_ai_connect_is_local_host( $host ) {
	if ( 'localhost' === $host || '[::1]' === $host || '::1' === $host ) {
		return true;
	}
	if ( '.localhost' === substr( $host, -10 ) ) {
		return true;
	}
	return 1 === preg_match( '/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/D', $host );
}

/**
 * Whether WordPress routes pretty URLs (a permalink structure with rewrite rules).
 *
 * @return bool
 */
function legion_ai_connect_uses_pretty_permalinks() {
	global $wp_rewrite;
	return $wp_rewrite instanceof WP_Rewrite && $wp_rewrite->using_permalinks();
}

/**
 * The Redirect URI to register for the app: where the callback page is served.
 *
 * `<site>/legion-callback` with pretty permalinks, `<site>/?legion_callback=1` with plain
 * ones (there are no rewrite rules then). The query form is served in either mode, so a
 * URI registered under plain permalinks keeps working after a switch to pretty ones; the
 * path form needs the rewrite rules.
 *
 * @return string
 */
function legion_ai_connect_redirect_uri() {
	global $wp_rewrite;
	if ( legion_ai_connect_uses_pretty_permalinks() ) {
		$root = $wp_rewrite->using_index_permalinks() ? $wp_rewrite->index . '/' : '';
		return home_url( '/' . $root . LEGION_AI_CONNECT_CALLBACK_PATH );
	}
	return add_query_arg( LEGION_AI_CONNECT_CALLBACK_QUERY_VAR, '1', home_url( '/' ) );
}
