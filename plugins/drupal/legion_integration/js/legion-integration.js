/**
 * @file
 * Turns each "Legion AI Chat" block into Legion's widget.
 *
 * The block's configuration is in its data-legion-config attribute (JSON); nothing else
 * is read and nothing is stored here.
 */
((Drupal, once) => {
  'use strict';

  /**
   * Mounts the widget on Legion AI Chat blocks.
   *
   * @type {Drupal~behavior}
   */
  Drupal.behaviors.legionIntegrationChat = {
    attach(context) {
      const legion = window.LegionChat;
      if (!legion || typeof legion.mount !== 'function') {
        return;
      }
      once('legion-integration-chat', '.legion-integration-chat[data-legion-config]', context).forEach((element) => {
        let config;
        try {
          config = JSON.parse(element.getAttribute('data-legion-config'));
        }
        catch (error) {
          return;
        }
        if (config && typeof config === 'object') {
          element.legionChat = legion.mount(element, config);
        }
      });
    },
    detach(context, settings, trigger) {
      if (trigger !== 'unload') {
        return;
      }
      once.remove('legion-integration-chat', '.legion-integration-chat[data-legion-config]', context).forEach((element) => {
        if (element.legionChat && typeof element.legionChat.unmount === 'function') {
          element.legionChat.unmount();
        }
        delete element.legionChat;
      });
    },
  };
})(Drupal, once);
