<?php
/**
 * Settings > Legion AI: the Client ID, the server URL, and the Redirect URI to register.
 *
 * Built on the Settings API: options.php checks the nonce and the `manage_options`
 * capability, and each sanitize callback reports a mistake with add_settings_error()
 * and keeps the value that was saved before.
 *
 * @package LegionAIConnect
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

define( 'LEGION_AI_CONNECT_SETTINGS_PAGE', 'legion-ai-connect' );
define( 'LEGION_AI_CONNECT_SETTINGS_GROUP', 'legion_ai_connect' );

add_action( 'admin_menu', 'legion_ai_connect_add_settings_page' );
add_action( 'admin_init', 'legion_ai_connect_register_settings' );
add_filter( 'plugin_action_links_' . plugin_basename( LEGION_AI_CONNECT_FILE ), 'legion_ai_connect_action_links' );

/**
 * Adds Settings > Legion AI.
 */
function legion_ai_connect_add_settings_page() {
	add_options_page(
		__( 'Legion AI', 'legion-ai-connect' ),
		__( 'Legion AI', 'legion-ai-connect' ),
		'manage_options',
		LEGION_AI_CONNECT_SETTINGS_PAGE,
		'legion_ai_connect_render_settings_page'
	);
}

/**
 * A "Settings" link beside Deactivate on the Plugins screen.
 *
 * @param string[] $links The plugin's action links.
 * @return string[]
 */
function legion_ai_connect_action_links( $links ) {
	$url = admin_url( 'options-general.php?page=' . LEGION_AI_CONNECT_SETTINGS_PAGE );
	array_unshift( $links, '<a href="' . esc_url( $url ) . '">' . esc_html__( 'Settings', 'legion-ai-connect' ) . '</a>' );
	return $links;
}

/**
 * Registers the two options, their sanitize callbacks and their fields.
 */
function legion_ai_connect_register_settings() {
	$defaults = legion_ai_connect_defaults();
	register_setting(
		LEGION_AI_CONNECT_SETTINGS_GROUP,
		LEGION_AI_CONNECT_OPTION_CLIENT_ID,
		array(
			'type'              => 'string',
			'sanitize_callback' => 'legion_ai_connect_sanitize_client_id',
			'default'           => $defaults['client_id'],
			'show_in_rest'      => false,
		)
	);
	register_setting(
		LEGION_AI_CONNECT_SETTINGS_GROUP,
		LEGION_AI_CONNECT_OPTION_SERVER_URL,
		array(
			'type'              => 'string',
			'sanitize_callback' => 'legion_ai_connect_sanitize_server_url',
			'default'           => $defaults['server_url'],
			'show_in_rest'      => false,
		)
	);

	add_settings_section(
		'legion_ai_connect_app',
		__( 'Your Legion app', 'legion-ai-connect' ),
		'legion_ai_connect_render_app_section',
		LEGION_AI_CONNECT_SETTINGS_PAGE
	);
	add_settings_field(
		LEGION_AI_CONNECT_OPTION_CLIENT_ID,
		__( 'Client ID', 'legion-ai-connect' ),
		'legion_ai_connect_render_text_field',
		LEGION_AI_CONNECT_SETTINGS_PAGE,
		'legion_ai_connect_app',
		array(
			'label_for'   => LEGION_AI_CONNECT_OPTION_CLIENT_ID,
			'value'       => legion_ai_connect_client_id(),
			'type'        => 'text',
			'placeholder' => 'lgn_...',
			'description' => __( 'The public Client ID of your app on the Legion server (it starts with "lgn_"). No secret is needed.', 'legion-ai-connect' ),
		)
	);
	add_settings_field(
		LEGION_AI_CONNECT_OPTION_SERVER_URL,
		__( 'Legion server URL', 'legion-ai-connect' ),
		'legion_ai_connect_render_text_field',
		LEGION_AI_CONNECT_SETTINGS_PAGE,
		'legion_ai_connect_app',
		array(
			'label_for'   => LEGION_AI_CONNECT_OPTION_SERVER_URL,
			'value'       => legion_ai_connect_server_url(),
			'type'        => 'url',
			'placeholder' => 'https://legion.example',
			'description' => __( 'The address of the Legion server your visitors connect to.', 'legion-ai-connect' ),
		)
	);
}

/**
 * Sanitize callback of the Client ID.
 *
 * @param mixed $value The submitted value.
 * @return string
 */
function legion_ai_connect_sanitize_client_id( $value ) {
	return legion_ai_connect_keep_valid( LEGION_AI_CONNECT_OPTION_CLIENT_ID, legion_ai_connect_validate_client_id( $value ) );
}

/**
 * Sanitize callback of the server URL.
 *
 * @param mixed $value The submitted value.
 * @return string
 */
function legion_ai_connect_sanitize_server_url( $value ) {
	return legion_ai_connect_keep_valid( LEGION_AI_CONNECT_OPTION_SERVER_URL, legion_ai_connect_validate_server_url( $value ) );
}

/**
 * The cleaned value, or, when it was refused, the old value and an error on the page.
 *
 * @param string          $option The option's name.
 * @param string|WP_Error $result What the validator said.
 * @return string
 */
function legion_ai_connect_keep_valid( $option, $result ) {
	if ( ! is_wp_error( $result ) ) {
		return $result;
	}
	add_settings_error( $option, $result->get_error_code(), $result->get_error_message(), 'error' );
	$old = get_option( $option, '' );
	return is_string( $old ) ? $old : '';
}

/**
 * Introduction of the settings section.
 */
function legion_ai_connect_render_app_section() {
	echo '<p>' . esc_html__( 'Register an app of type WordPress on your Legion server with the Redirect URI shown below, then paste its Client ID here.', 'legion-ai-connect' ) . '</p>';
}

/**
 * One text input of the settings form.
 *
 * @param array $args Field arguments from add_settings_field().
 */
function legion_ai_connect_render_text_field( $args ) {
	printf(
		'<input type="%1$s" id="%2$s" name="%2$s" value="%3$s" placeholder="%4$s" class="regular-text code" spellcheck="false" autocomplete="off" aria-describedby="%2$s-description">',
		esc_attr( $args['type'] ),
		esc_attr( $args['label_for'] ),
		esc_attr( $args['value'] ),
		esc_attr( $args['placeholder'] )
	);
	printf( '<p class="description" id="%1$s-description">%2$s</p>', esc_attr( $args['label_for'] ), esc_html( $args['description'] ) );
}

/**
 * The page itself. Saved notices and errors are printed by WordPress (options-head.php).
 */
function legion_ai_connect_render_settings_page() {
	if ( ! current_user_can( 'manage_options' ) ) {
		return;
	}
	$redirect_uri = legion_ai_connect_redirect_uri();
	?>
	<div class="wrap">
		<h1><?php echo esc_html( get_admin_page_title() ); ?></h1>
		<form action="<?php echo esc_url( admin_url( 'options.php' ) ); ?>" method="post">
			<?php
			settings_fields( LEGION_AI_CONNECT_SETTINGS_GROUP );
			do_settings_sections( LEGION_AI_CONNECT_SETTINGS_PAGE );
			submit_button( __( 'Save Changes', 'legion-ai-connect' ) );
			?>
		</form>

		<h2><?php echo esc_html__( 'Redirect URI', 'legion-ai-connect' ); ?></h2>
		<p><?php echo esc_html__( 'Register exactly this Redirect URI for your app. It is where the Legion sign-in window returns to; the plugin serves that page.', 'legion-ai-connect' ); ?></p>
		<p>
			<label class="screen-reader-text" for="legion-redirect-uri"><?php echo esc_html__( 'Redirect URI', 'legion-ai-connect' ); ?></label>
			<input type="text" id="legion-redirect-uri" class="large-text code" readonly value="<?php echo esc_attr( $redirect_uri ); ?>">
		</p>
		<p class="description">
			<?php
			if ( legion_ai_connect_uses_pretty_permalinks() ) {
				echo esc_html__( 'This site uses pretty permalinks. If you switch to plain permalinks, the Redirect URI changes: register the new one too.', 'legion-ai-connect' );
			} else {
				echo esc_html__( 'This site uses plain permalinks. If you switch to pretty permalinks, the Redirect URI changes: register the new one too.', 'legion-ai-connect' );
			}
			?>
		</p>

		<h2><?php echo esc_html__( 'Showing the chat', 'legion-ai-connect' ); ?></h2>
		<p><?php echo esc_html__( 'Add the "Legion AI Chat" block to a page, or this shortcode:', 'legion-ai-connect' ); ?></p>
		<p><code>[legion_chat position="inline" theme="light" placeholder="Ask me anything..."]</code></p>
		<p class="description"><?php echo esc_html__( 'position: bottom-right (default), bottom-left or inline. theme: dark (default), light or auto.', 'legion-ai-connect' ); ?></p>
	</div>
	<?php
}
