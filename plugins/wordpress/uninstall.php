<?php
/**
 * Removes everything the plugin stored when a site owner deletes it.
 *
 * @package LegionAIConnect
 */

if ( ! defined( 'WP_UNINSTALL_PLUGIN' ) ) {
	exit;
}

/**
 * Deletes the plugin's options on the current site.
 */
function legion_ai_connect_delete_options() {
	delete_option( 'legion_client_id' );
	delete_option( 'legion_server_url' );
}

if ( is_multisite() ) {
	// get_sites() returns 100 sites unless told otherwise; 0 means every site.
	$legion_ai_connect_site_ids = get_sites(
		array(
			'fields' => 'ids',
			'number' => 0,
		)
	);
	foreach ( $legion_ai_connect_site_ids as $legion_ai_connect_site_id ) {
		switch_to_blog( $legion_ai_connect_site_id );
		legion_ai_connect_delete_options();
		restore_current_blog();
	}
} else {
	legion_ai_connect_delete_options();
}
