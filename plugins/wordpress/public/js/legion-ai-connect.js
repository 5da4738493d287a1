/**
 * Legion AI Connect: turns each chat placeholder printed by the [legion_chat] shortcode or
 * the "Legion AI Chat" block into Legion's widget. Nothing is stored here.
 *
 * Where the widget connects (server URL, Client ID, Redirect URI) comes only from the
 * plugin's data block, <script type="application/json" id="legion-ai-connect-settings">,
 * printed with the footer scripts: a post can't hold a <script> element (WordPress strips
 * them from authors' posts). A chat element's data-legion-config attribute (JSON) gives
 * only the position, theme and placeholder, and anything else in it is ignored: post
 * content can hold elements that look just like the plugin's, with any id and data-*
 * attribute. Without exactly one such data block, nothing is mounted.
 *
 * The settings are read once the document is parsed, so this works wherever the script
 * ends up (an optimizer may move it, combine it or drop its defer attribute).
 */
( function () {
	'use strict';

	var SELECTOR = 'div.legion-ai-connect-chat[data-legion-config]';
	var SETTINGS = 'script#legion-ai-connect-settings';
	var SITE = [ 'serverUrl', 'clientId', 'redirectUri' ];
	var PRESENTATION = [ 'position', 'theme', 'placeholder' ];

	// The document's own methods, called through the prototypes: page markup such as
	// <form name="querySelectorAll"> shadows a document's properties (DOM clobbering).
	function selectAll( selector ) {
		return Document.prototype.querySelectorAll.call( document, selector );
	}

	function readyState() {
		var descriptor = Object.getOwnPropertyDescriptor( Document.prototype, 'readyState' );
		return descriptor && descriptor.get ? descriptor.get.call( document ) : document.readyState;
	}

	function hasOwn( object, name ) {
		return Object.prototype.hasOwnProperty.call( object, name );
	}

	/** A real <script type="application/json"> (not an SVG script, not a look-alike). */
	function isDataBlock( element ) {
		if ( ! ( element instanceof HTMLScriptElement ) ) {
			return false;
		}
		var type = element.getAttribute( 'type' ) || '';
		return type.trim().toLowerCase() === 'application/json';
	}

	/**
	 * The site's settings from the plugin's data block, or null. An element with the same
	 * id in post content comes earlier in the page (so getElementById would return it): it
	 * is passed over unless it is a <script>, which no author can write. With more than
	 * one data block, none is trusted.
	 */
	function siteConfig() {
		var blocks = Array.prototype.filter.call( selectAll( SETTINGS ), isDataBlock );
		if ( blocks.length !== 1 ) {
			return null;
		}
		var data;
		try {
			data = JSON.parse( blocks[ 0 ].textContent || '' );
		} catch ( error ) {
			return null;
		}
		if ( ! data || typeof data !== 'object' ) {
			return null;
		}
		var config = {};
		for ( var i = 0; i < SITE.length; i++ ) {
			var name = SITE[ i ];
			if ( ! hasOwn( data, name ) || typeof data[ name ] !== 'string' || data[ name ] === '' ) {
				return null;
			}
			config[ name ] = data[ name ];
		}
		return config;
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
			if ( hasOwn( settings, name ) && typeof settings[ name ] === 'string' ) {
				config[ name ] = settings[ name ];
			}
		}
		return config;
	}

	function mountAll() {
		var legion = window.LegionChat;
		if ( ! legion || typeof legion.mount !== 'function' ) {
			return;
		}
		var site = siteConfig();
		if ( ! site ) {
			return;
		}
		var elements = selectAll( SELECTOR );
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

	if ( readyState() === 'loading' ) {
		EventTarget.prototype.addEventListener.call( document, 'DOMContentLoaded', mountAll );
	} else {
		mountAll();
	}
} )();
