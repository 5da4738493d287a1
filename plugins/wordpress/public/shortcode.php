<?php
/**
 * The `[legion_chat]` shortcode, and the markup it shares with the block.
 *
 * Authors choose presentation only (position, theme, placeholder); the Client ID and the
 * server come from the settings, which only administrators change, and reach the browser
 * only in the plugin's JSON data block (see public/assets.php), never in the chat markup.
 * Anything that is not one of the known values falls back to the default. The markup is
 * the same for every visitor (no nonce, no user data), so page caches may keep it.
 *
 * @package LegionAIConnect
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

add_action( 'init', 'legion_ai_connect_register_shortcode' );

/**
 * Registers `[legion_chat]`.
 */
function legion_ai_connect_register_shortcode() {
	add_shortcode( 'legion_chat', 'legion_ai_connect_shortcode' );
}

/**
 * The allowed values of each presentational attribute; the first is the default.
 *
 * @return array<string, string[]>
 */
function legion_ai_connect_choices() {
	return array(
		'position' => array( 'bottom-right', 'bottom-left', 'inline' ),
		'theme'    => array( 'dark', 'light', 'auto' ),
	);
}

/**
 * Reduces author input to known positions and themes and a plain-text placeholder.
 *
 * @param mixed $attributes Shortcode or block attributes.
 * @return array{position: string, theme: string, placeholder: string}
 */
function legion_ai_connect_normalize_attributes( $attributes ) {
	$attributes = is_array( $attributes ) ? $attributes : array();
	$clean      = array();
	foreach ( legion_ai_connect_choices() as $name => $allowed ) {
		$value          = isset( $attributes[ $name ] ) && is_string( $attributes[ $name ] ) ? strtolower( trim( $attributes[ $name ] ) ) : '';
		$clean[ $name ] = in_array( $value, $allowed, true ) ? $value : $allowed[0];
	}
	$placeholder = isset( $attributes['placeholder'] ) && is_scalar( $attributes['placeholder'] ) ? (string) $attributes['placeholder'] : '';
	// Editors store "&" and quotes in post text as entities; the widget shows plain text.
	$placeholder = sanitize_text_field( html_entity_decode( $placeholder, ENT_QUOTES | ENT_HTML5, 'UTF-8' ) );
	if ( function_exists( 'mb_substr' ) ) {
		$placeholder = mb_substr( $placeholder, 0, 200 );
	} else {
		$placeholder = substr( $placeholder, 0, 200 );
	}
	$clean['placeholder'] = $placeholder;
	return $clean;
}

/**
 * Renders `[legion_chat position="..." theme="..." placeholder="..."]`.
 *
 * @param array|string $attributes Attributes as WordPress parsed them ('' when none).
 * @return string
 */
function legion_ai_connect_shortcode( $attributes ) {
	$attributes = shortcode_atts(
		array(
			'position'    => 'bottom-right',
			'theme'       => 'dark',
			'placeholder' => '',
		),
		is_array( $attributes ) ? $attributes : array(),
		'legion_chat'
	);
	return legion_ai_connect_render_chat( $attributes );
}

/**
 * The chat's placeholder element, with its presentational settings as escaped JSON; the
 * mount script turns it into the widget. Empty (or a notice for administrators) until the
 * plugin is configured.
 *
 * The element carries only what an author may choose. Post content can hold an element
 * that looks just like this one (the post filter keeps data-* attributes), so the server
 * URL, the Client ID and the Redirect URI travel in a <script type="application/json">
 * block instead (legion_ai_connect_print_site_settings()), which no post can write.
 *
 * @param mixed $attributes Shortcode or block attributes.
 * @return string
 */
function legion_ai_connect_render_chat( $attributes ) {
	if ( ! legion_ai_connect_is_configured() ) {
		if ( current_user_can( 'manage_options' ) ) {
			return '<p class="legion-ai-connect-notice">' . esc_html__( 'Legion AI Chat: enter the Client ID and the Legion server URL in Settings > Legion AI to show the chat here.', 'legion-ai-connect' ) . '</p>';
		}
		return '';
	}
	$attributes = legion_ai_connect_normalize_attributes( $attributes );
	$config     = array(
		'position' => $attributes['position'],
		'theme'    => $attributes['theme'],
	);
	if ( '' !== $attributes['placeholder'] ) {
		$config['placeholder'] = $attributes['placeholder'];
	}
	legion_ai_connect_enqueue_assets();
	$json = wp_json_encode( $config, JSON_HEX_TAG | JSON_HEX_AMP | JSON_HEX_APOS | JSON_HEX_QUOT );
	return sprintf(
		'<div class="legion-ai-connect-chat legion-ai-connect-chat--%1$s" data-legion-config="%2$s"></div>',
		esc_attr( $attributes['position'] ),
		esc_attr( (string) $json )
	);
}
