/**
 * Legion AI Connect: turns each chat placeholder printed by the [legion_chat] shortcode or
 * the "Legion AI Chat" block into Legion's widget. Configuration comes from the element's
 * data-legion-config attribute (JSON); nothing else is read and nothing is stored here.
 */
( function () {
	'use strict';

	var SELECTOR = '.legion-ai-connect-chat[data-legion-config]';

	function readConfig( element ) {
		try {
			var config = JSON.parse( element.getAttribute( 'data-legion-config' ) || '{}' );
			return config && typeof config === 'object' ? config : null;
		} catch ( error ) {
			return null;
		}
	}

	function mountAll() {
		var legion = window.LegionChat;
		if ( ! legion || typeof legion.mount !== 'function' ) {
			return;
		}
		var elements = document.querySelectorAll( SELECTOR );
		for ( var i = 0; i < elements.length; i++ ) {
			var element = elements[ i ];
			var config = readConfig( element );
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
