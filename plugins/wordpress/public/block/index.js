/**
 * Editor side of the "Legion AI Chat" block, in plain JavaScript against WordPress's
 * globals (no build step). The block is dynamic: save() stores nothing but attributes and
 * the site renders it in PHP, so the editor shows a labelled placeholder, not the widget.
 */
( function ( blocks, blockEditor, components, element, i18n ) {
	'use strict';

	var el = element.createElement;
	var __ = i18n.__;
	var InspectorControls = blockEditor.InspectorControls;
	var useBlockProps = blockEditor.useBlockProps;

	function positionOptions() {
		return [
			{ value: 'bottom-right', label: __( 'Bottom right (floating button)', 'legion-ai-connect' ) },
			{ value: 'bottom-left', label: __( 'Bottom left (floating button)', 'legion-ai-connect' ) },
			{ value: 'inline', label: __( 'Inline (inside the page)', 'legion-ai-connect' ) },
		];
	}

	function themeOptions() {
		return [
			{ value: 'dark', label: __( 'Dark', 'legion-ai-connect' ) },
			{ value: 'light', label: __( 'Light', 'legion-ai-connect' ) },
			{ value: 'auto', label: __( 'Auto (follows the visitor\'s system)', 'legion-ai-connect' ) },
		];
	}

	function settingsPanel( props ) {
		var attributes = props.attributes;
		return el(
			InspectorControls,
			null,
			el(
				components.PanelBody,
				{ title: __( 'Chat settings', 'legion-ai-connect' ), initialOpen: true },
				el( components.SelectControl, {
					label: __( 'Position', 'legion-ai-connect' ),
					value: attributes.position,
					options: positionOptions(),
					onChange: function ( value ) {
						props.setAttributes( { position: value } );
					},
				} ),
				el( components.SelectControl, {
					label: __( 'Theme', 'legion-ai-connect' ),
					value: attributes.theme,
					options: themeOptions(),
					onChange: function ( value ) {
						props.setAttributes( { theme: value } );
					},
				} ),
				el( components.TextControl, {
					label: __( 'Placeholder', 'legion-ai-connect' ),
					help: __( 'Shown in the empty message box.', 'legion-ai-connect' ),
					value: attributes.placeholder,
					onChange: function ( value ) {
						props.setAttributes( { placeholder: value } );
					},
				} )
			)
		);
	}

	function Edit( props ) {
		var blockProps = useBlockProps ? useBlockProps() : {};
		return el(
			'div',
			blockProps,
			settingsPanel( props ),
			el(
				components.Placeholder,
				{
					icon: 'format-chat',
					label: __( 'Legion AI Chat', 'legion-ai-connect' ),
					instructions: __( 'The chat appears here (or as a floating button) on the published page. Choose its position, theme and placeholder in the block settings.', 'legion-ai-connect' ),
				}
			)
		);
	}

	blocks.registerBlockType( 'legion-ai-connect/chat', {
		edit: Edit,
		save: function () {
			return null;
		},
	} );
} )( window.wp.blocks, window.wp.blockEditor, window.wp.components, window.wp.element, window.wp.i18n );
