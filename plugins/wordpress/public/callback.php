<?php
/**
 * The OAuth callback page at the Redirect URI (SPEC §6.1, §7).
 *
 * Legion's /connect sends the visitor's popup here with `code`, `state` and `iss`. The page
 * is a bare document that loads the bundled widget in callback mode; the widget hands the
 * result to the waiting chat on this site's own origin and closes the popup. No theme, no
 * other plugin's scripts, never cached, and no Referer leaves it (the code is in its URL).
 *
 * @package LegionAIConnect
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

define( 'LEGION_AI_CONNECT_CALLBACK_PATH', 'legion-callback' );
define( 'LEGION_AI_CONNECT_CALLBACK_QUERY_VAR', 'legion_callback' );

add_action( 'init', 'legion_ai_connect_add_rewrite_rules' );
add_filter( 'query_vars', 'legion_ai_connect_query_vars' );
add_action( 'parse_request', 'legion_ai_connect_maybe_serve_callback', 0 );

/**
 * Maps /legion-callback to index.php?legion_callback=1 when pretty permalinks are on.
 */
function legion_ai_connect_add_rewrite_rules() {
	add_rewrite_rule( '^' . LEGION_AI_CONNECT_CALLBACK_PATH . '/?$', 'index.php?' . LEGION_AI_CONNECT_CALLBACK_QUERY_VAR . '=1', 'top' );
}

/**
 * Lets WordPress read ?legion_callback=1, the plain-permalink form of the callback URL.
 *
 * @param string[] $vars Public query variables.
 * @return string[]
 */
function legion_ai_connect_query_vars( $vars ) {
	$vars[] = LEGION_AI_CONNECT_CALLBACK_QUERY_VAR;
	return $vars;
}

/**
 * Serves the callback page before WordPress queries posts or picks a template (so no
 * canonical redirect can drop the code from the URL).
 *
 * @param WP $wp The current request.
 */
function legion_ai_connect_maybe_serve_callback( $wp ) {
	if ( ! isset( $wp->query_vars[ LEGION_AI_CONNECT_CALLBACK_QUERY_VAR ] ) || '1' !== (string) $wp->query_vars[ LEGION_AI_CONNECT_CALLBACK_QUERY_VAR ] ) {
		return;
	}
	legion_ai_connect_send_callback_headers();
	legion_ai_connect_render_callback_page();
	exit;
}

/**
 * Headers of the callback page: never stored by a browser or a page cache, no Referer.
 */
function legion_ai_connect_send_callback_headers() {
	if ( ! defined( 'DONOTCACHEPAGE' ) ) {
		define( 'DONOTCACHEPAGE', true ); // Understood by the common page-cache plugins.
	}
	status_header( 200 );
	nocache_headers();
	if ( ! headers_sent() ) {
		header( 'Content-Type: text/html; charset=utf-8' );
		header( 'Cache-Control: no-store, no-cache, must-revalidate, max-age=0' );
		header( 'Referrer-Policy: no-referrer' );
		header( 'X-Robots-Tag: noindex, nofollow' );
		header( 'X-Content-Type-Options: nosniff' );
	}
}

/**
 * The callback document: a short message and the widget in callback mode.
 */
function legion_ai_connect_render_callback_page() {
	$language = get_bloginfo( 'language' );
	?>
<!DOCTYPE html>
<html lang="<?php echo esc_attr( $language ); ?>">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex, nofollow">
<meta name="referrer" content="no-referrer">
<title><?php echo esc_html__( 'Connecting to Legion', 'legion-ai-connect' ); ?></title>
</head>
<body>
<p><?php echo esc_html__( 'Finishing the connection to Legion. This window closes by itself.', 'legion-ai-connect' ); ?></p>
<script src="<?php echo esc_url( legion_ai_connect_widget_url() ); ?>" data-legion-callback data-server-url="<?php echo esc_attr( legion_ai_connect_server_url() ); ?>"></script>
</body>
</html>
	<?php
}
