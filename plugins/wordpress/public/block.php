<?php
/**
 * The "Legion AI Chat" block: the shortcode's three settings in the block editor.
 *
 * A dynamic block: the post stores only its attributes, and PHP renders the same markup
 * as the shortcode at view time, so the settings go through the same allow-lists.
 *
 * @package LegionAIConnect
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

add_action( 'init', 'legion_ai_connect_register_block' );

/**
 * Registers the block from public/block/block.json.
 */
function legion_ai_connect_register_block() {
	if ( ! function_exists( 'register_block_type' ) ) {
		return;
	}
	register_block_type(
		LEGION_AI_CONNECT_DIR . 'public/block',
		array(
			'render_callback' => 'legion_ai_connect_render_block',
		)
	);
	if ( function_exists( 'wp_set_script_translations' ) ) {
		wp_set_script_translations( 'legion-ai-connect-chat-editor-script', 'legion-ai-connect', LEGION_AI_CONNECT_DIR . 'languages' );
	}
}

/**
 * Renders the block on the site.
 *
 * @param array $attributes The block's attributes.
 * @return string
 */
function legion_ai_connect_render_block( $attributes ) {
	return legion_ai_connect_render_chat( $attributes );
}
