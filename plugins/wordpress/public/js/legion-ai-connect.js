/**
 * Legion AI Connect: turns each chat placeholder printed by the [legion_chat] shortcode or
 * the "Legion AI Chat" block into Legion's widget. Nothing is stored here.
 *
 * Where the widget connects (server URL, Client ID, Redirect URI) comes only from this
 * script's own tag, where the plugin prints the site's settings: a post can't hold a
 * <script> element. A chat element's data-legion-config attribute (JSON) gives only the
 * position, theme and placeholder, and anything else in it is ignored: post content can
 * hold elements that look just like the plugin's, with any data-* attribute.
 */
( function () {
	'use strict';

	var SELECTOR = '.legion-ai-connect-chat[data-legion-config]';
	var OWN_SCRIPT = 'script#legion-ai-connect-js[data-legion-client-id]';
	var PRESENTATION = [ 'position', 'theme', 'placeholder' ];

	/** This script's element: the running one, or the plugin's tag found by its id. */
	function ownScript() {
		var current = document.currentScript;
		if ( current instanceof HTMLScriptElement && current.hasAttribute( 'data-legion-client-id' ) ) {
			return current;
		}
		return Document.prototype.querySelector.call( document, OWN_SCRIPT );
	}

	function siteConfig( script ) {
		if ( ! script ) {
			return null;
		}
		var config = {
			serverUrl: script.getAttribute( 'data-legion-server-url' ) || '',
			clientId: script.getAttribute( 'data-legion-client-id' ) || '',
			redirectUri: script.getAttribute( 'data-legion-redirect-uri' ) || '',
		};
		return config.serverUrl && config.clientId && config.redirectUri ? config : null;
	}

	/** The site's settings, with the element's position, theme and placeholder (if strings). */
	function readConfig( element, site ) {
		var settings;
		try {
			settings = JSON.parse( element.getAttribute( 'data-legion-config' ) || '{}' );
		} catch ( error ) {
			return null;
		}
		if ( ! settings || typeof settings !== 'object' ) {
			return null;
		}
		var config = {
			serverUrl: site.serverUrl,
			clientId: site.clientId,
			redirectUri: site.redirectUri,
		};
		for ( var i = 0; i < PRESENTATION.length; i++ ) {
			var name = PRESENTATION[ i ];
			if ( Object.prototype.hasOwnProperty.call( settings, name ) && typeof settings[ name ] === 'string' ) {
				config[ name ] = settings[ name ];
			}
		}
		return config;
	}

	// Read while this script runs: document.currentScript is null afterwards.
	var site = siteConfig( ownScript() );

	function mountAll() {
		var legion = window.LegionChat;
		if ( ! site || ! legion || typeof legion.mount !== 'function' ) {
			return;
		}
		var elements = document.querySelectorAll( SELECTOR );
		for ( var i = 0; i < elements.length; i++ ) {
			var element = elements[ i ];
			var config = readConfig( element, site );
			if ( ! config || element.hasAttribute( 'data-legion-mounted' ) ) {
				continue;
			}
			element.setAttribute( 'data-legion-mounted', '' );
			legion.mount( element, config );
		}
	}

	if ( document.readyState === 'loading' ) {
		document.addEventListener( 'DOMContentLoaded', mountAll );
	} else {
		mountAll();
	}
} )();
