<?php
/**
 * Activation, deactivation and translations.
 *
 * @package LegionAIConnect
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

add_action( 'init', 'legion_ai_connect_load_textdomain' );

/**
 * Loads the plugin's translations from its languages/ folder.
 */
function legion_ai_connect_load_textdomain() {
	load_plugin_textdomain( 'legion-ai-connect', false, dirname( plugin_basename( LEGION_AI_CONNECT_FILE ) ) . '/languages' );
}

/**
 * Stores the preset settings (if any) and makes /legion-callback routable at once.
 *
 * The plugin's own `init` hook has not run in the request that activates it, so the
 * rewrite rule is added here before the flush.
 */
function legion_ai_connect_activate() {
	$defaults = legion_ai_connect_defaults();
	add_option( LEGION_AI_CONNECT_OPTION_CLIENT_ID, $defaults['client_id'] );
	add_option( LEGION_AI_CONNECT_OPTION_SERVER_URL, $defaults['server_url'] );
	legion_ai_connect_add_rewrite_rules();
	flush_rewrite_rules();
}

/**
 * Takes /legion-callback out of the rewrite rules. The settings stay until uninstall.
 */
function legion_ai_connect_deactivate() {
	global $wp_rewrite;
	if ( $wp_rewrite instanceof WP_Rewrite ) {
		unset( $wp_rewrite->extra_rules_top[ '^' . LEGION_AI_CONNECT_CALLBACK_PATH . '/?$' ] );
	}
	flush_rewrite_rules();
}
