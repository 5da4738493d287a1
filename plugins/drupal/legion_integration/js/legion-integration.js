/**
 * @file
 * Turns each "Legion AI Chat" block into Legion's widget. Nothing is stored here.
 *
 * Where the widget connects (server URL, Client ID, Redirect URI) comes only from
 * drupalSettings.legionIntegration, which the block attaches from the module's settings
 * and which no content can write. A block's data-legion-config attribute (JSON) gives
 * only the position, theme and placeholder, and anything else in it is ignored: a text
 * format that allows data-* attributes lets content hold an element that looks just like
 * the block's.
 */
((Drupal, once) => {
  'use strict';

  const SELECTOR = '.legion-integration-chat[data-legion-config]';
  const SITE = ['serverUrl', 'clientId', 'redirectUri'];
  const PRESENTATION = ['position', 'theme', 'placeholder'];

  /**
   * The site's settings from drupalSettings, or null unless all three are set.
   *
   * @param {object} settings
   *   The settings passed to the behavior (drupalSettings).
   *
   * @return {?object}
   *   The server URL, Client ID and Redirect URI.
   */
  function siteConfig(settings) {
    const site = settings && settings.legionIntegration;
    if (!site || typeof site !== 'object') {
      return null;
    }
    const config = {};
    for (const name of SITE) {
      if (typeof site[name] !== 'string' || site[name] === '') {
        return null;
      }
      config[name] = site[name];
    }
    return config;
  }

  /**
   * The site's settings with the element's position, theme and placeholder (if strings).
   *
   * @param {HTMLElement} element
   *   A chat element.
   * @param {object} site
   *   The site's settings (siteConfig()).
   *
   * @return {?object}
   *   The widget's options, or null when the element's JSON is unreadable.
   */
  function widgetConfig(element, site) {
    let options;
    try {
      options = JSON.parse(element.getAttribute('data-legion-config'));
    }
    catch (error) {
      return null;
    }
    if (!options || typeof options !== 'object') {
      return null;
    }
    const config = { ...site };
    PRESENTATION.forEach((name) => {
      if (Object.prototype.hasOwnProperty.call(options, name) && typeof options[name] === 'string') {
        config[name] = options[name];
      }
    });
    return config;
  }

  /**
   * Mounts the widget on Legion AI Chat blocks.
   *
   * @type {Drupal~behavior}
   */
  Drupal.behaviors.legionIntegrationChat = {
    attach(context, settings) {
      const legion = window.LegionChat;
      const site = siteConfig(settings);
      if (!site || !legion || typeof legion.mount !== 'function') {
        return;
      }
      once('legion-integration-chat', SELECTOR, context).forEach((element) => {
        const config = widgetConfig(element, site);
        if (config) {
          element.legionChat = legion.mount(element, config);
        }
      });
    },
    detach(context, settings, trigger) {
      if (trigger !== 'unload') {
        return;
      }
      once.remove('legion-integration-chat', SELECTOR, context).forEach((element) => {
        if (element.legionChat && typeof element.legionChat.unmount === 'function') {
          element.legionChat.unmount();
        }
        delete element.legionChat;
      });
    },
  };
})(Drupal, once);
