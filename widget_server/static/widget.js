/*! Legion chat widget · MIT licence · one file, no dependencies. Built from sdk/ (npm run build); edit the sources. */
"use strict";
(() => {
  // src/errors.js
  var REAUTH = ["invalid_token", "invalid_grant", "not_connected"];
  var LegionError = class extends Error {
    constructor(message, code, status) {
      super(message || code);
      this.name = "LegionError";
      this.code = code || "error";
      this.status = status || 0;
    }
    /** The visitor must connect again: a 401, or a refresh the server refused. */
    requiresReauth() {
      return this.status === 401 || REAUTH.indexOf(this.code) >= 0;
    }
    /** The visitor deactivated this app's connection (403 connection_inactive). */
    isDeactivated() {
      return this.code === "connection_inactive";
    }
    /** The wallet can't pay, or the monthly limit would pass (402). */
    isBillingError() {
      return this.status === 402;
    }
  };
  async function errorFrom(response) {
    var body = await response.json().catch(function() {
      return {};
    });
    var error = body.error;
    if (error && typeof error === "object") {
      return new LegionError(error.message, error.code, response.status);
    }
    return new LegionError(
      body.error_description || error || response.statusText,
      error || "http_" + response.status,
      response.status
    );
  }
  async function send(url, init) {
    try {
      return await fetch(url, Object.assign({ credentials: "omit" }, init));
    } catch (e) {
      if (e && e.name === "AbortError") throw e;
      throw new LegionError("Can't reach Legion.", "network_error");
    }
  }

  // src/api.js
  function authorizedCaller(server, tokens, onTokenRefresh) {
    return async function call(method, path, body, headers, autoRefresh) {
      var refreshing = autoRefresh !== false;
      var session = tokens.get();
      if (!session) throw new LegionError("Not connected: connect first.", "not_connected", 401);
      if (refreshing && !(session.expires_at > Date.now())) {
        session = await tokens.refresh(session.access_token, onTokenRefresh);
      }
      for (var attempt = 0; ; attempt++) {
        var response = await send(server + path, {
          method,
          headers: Object.assign(
            { Authorization: "Bearer " + session.access_token },
            body !== void 0 ? { "Content-Type": "application/json" } : {},
            headers || {}
          ),
          body: body !== void 0 ? JSON.stringify(body) : void 0
        });
        if (response.status === 401 && !attempt && refreshing) {
          session = await tokens.refresh(session.access_token, onTokenRefresh);
          continue;
        }
        if (!response.ok) throw await errorFrom(response);
        return response;
      }
    };
  }

  // src/events.js
  async function* events(response) {
    var reader = response.body.getReader();
    var decoder = new TextDecoder();
    var buffer = "";
    var data = [];
    var id = null;
    try {
      for (; ; ) {
        var chunk;
        try {
          chunk = await reader.read();
        } catch (e) {
          throw new LegionError("The stream was cut.", "network_error");
        }
        if (chunk.done) break;
        buffer += decoder.decode(chunk.value, { stream: true });
        var end;
        while ((end = buffer.indexOf("\n")) >= 0) {
          var line = buffer.slice(0, end).replace(/\r$/, "");
          buffer = buffer.slice(end + 1);
          var colon = line.indexOf(":");
          var field = colon < 0 ? line : line.slice(0, colon);
          var value = colon < 0 ? "" : line.slice(colon + (line.charAt(colon + 1) === " " ? 2 : 1));
          if (field === "data") data.push(value);
          else if (field === "id") id = value;
          else if (line === "" && data.length) {
            var payload = data.join("\n");
            data = [];
            if (payload === "[DONE]") return;
            yield { data: payload, id };
            id = null;
          }
        }
      }
      if (data.length && data.join("\n") !== "[DONE]") yield { data: data.join("\n"), id };
    } finally {
      reader.cancel().catch(function() {
      });
    }
  }
  async function readEvents(response, onData) {
    for await (var event of events(response)) onData(event.data, event.id);
  }

  // src/storage.js
  var PREFIX = "legionchat:";
  var unstored = {};
  function read(store, key) {
    if (Object.prototype.hasOwnProperty.call(unstored, store + key)) return unstored[store + key];
    try {
      var raw = window[store].getItem(key);
      return raw ? JSON.parse(raw) : null;
    } catch (e) {
      return null;
    }
  }
  function write(store, key, value) {
    try {
      if (value == null) window[store].removeItem(key);
      else window[store].setItem(key, JSON.stringify(value));
      delete unstored[store + key];
    } catch (e) {
      unstored[store + key] = value == null ? null : value;
    }
  }
  function keysWith(store, prefix) {
    var keys = [];
    try {
      var storage = window[store];
      for (var i = 0; i < storage.length; i++) {
        var key = storage.key(i);
        if (key && key.indexOf(prefix) === 0) keys.push(key);
      }
    } catch (e) {
    }
    Object.keys(unstored).forEach(function(name) {
      var key2 = name.slice(store.length);
      if (name.indexOf(store) === 0 && key2.indexOf(prefix) === 0 && keys.indexOf(key2) < 0) keys.push(key2);
    });
    return keys;
  }
  function keyFor(serverUrl, clientId, kind) {
    return PREFIX + kind + ":" + serverUrl + "|" + clientId;
  }

  // src/oauth.js
  var CHANNEL = "legionchat";
  var MESSAGE_TYPE = "legionchat:oauth";
  var CALLBACK_PARAMS = ["code", "state", "iss", "error", "error_description"];
  function authorizeUrl(server, clientId, redirectUri, state, challenge, scope) {
    var query = new URLSearchParams({
      response_type: "code",
      client_id: clientId,
      redirect_uri: redirectUri,
      scope: scope || "chat:completions",
      state,
      code_challenge: challenge,
      code_challenge_method: "S256"
    });
    return server + "/connect?" + query;
  }
  async function tokenRequest(server, path, params) {
    var response = await send(server + path, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams(params)
    });
    if (!response.ok) throw await errorFrom(response);
    return response.json();
  }
  function sessionFrom(body) {
    return Object.assign({}, body, { expires_at: Date.now() + (body.expires_in || 3600) * 1e3 });
  }
  function exchange(server, clientId, code, verifier, redirectUri) {
    return tokenRequest(server, "/v1/oauth/token", {
      grant_type: "authorization_code",
      code,
      client_id: clientId,
      redirect_uri: redirectUri,
      code_verifier: verifier
    });
  }
  async function refreshSession(server, clientId, refreshToken) {
    var body = await tokenRequest(server, "/v1/oauth/token", {
      grant_type: "refresh_token",
      refresh_token: refreshToken,
      client_id: clientId
    });
    return sessionFrom(body);
  }
  function revoke(server, clientId, token) {
    return tokenRequest(server, "/v1/oauth/revoke", { token, client_id: clientId });
  }
  function listenForCallback(state, onParams) {
    function take(data) {
      if (data && data.type === MESSAGE_TYPE && data.params && data.params.state === state) {
        onParams(data.params);
      }
    }
    function onMessage(event) {
      if (event.origin === location.origin) take(event.data);
    }
    window.addEventListener("message", onMessage);
    var channel = window.BroadcastChannel ? new BroadcastChannel(CHANNEL) : null;
    if (channel) {
      channel.onmessage = function(event) {
        take(event.data);
      };
    }
    return function stop() {
      window.removeEventListener("message", onMessage);
      if (channel) channel.close();
    };
  }
  function codeOf(params, server) {
    if (String(params.iss || "").replace(/\/+$/, "") !== server) {
      throw new LegionError("The answer did not come from this Legion server.", "invalid_state");
    }
    if (params.error) {
      throw new LegionError(params.error_description || params.error, params.error);
    }
    if (!params.code) throw new LegionError("The answer carried no code.", "invalid_state");
    return params.code;
  }
  function popupFeatures() {
    var width = 480;
    var height = 680;
    var left = Math.max(0, (window.screenX || 0) + (window.outerWidth - width) / 2);
    var top = Math.max(0, (window.screenY || 0) + (window.outerHeight - height) / 2);
    return "popup,width=" + width + ",height=" + height + ",left=" + left + ",top=" + top;
  }
  function handleCallback() {
    var url = new URL(location.href);
    var result = {};
    CALLBACK_PARAMS.forEach(function(name) {
      if (url.searchParams.has(name)) result[name] = url.searchParams.get(name);
      url.searchParams.delete(name);
    });
    if (!Object.keys(result).length) return false;
    history.replaceState(null, "", url.pathname + url.search + url.hash);
    if (!result.state) return false;
    var message = { type: MESSAGE_TYPE, params: result };
    var record = read("sessionStorage", PREFIX + "flow:" + result.state);
    if (record && new URL(record.returnTo).origin === location.origin) {
      write("sessionStorage", PREFIX + "result", result);
      location.replace(record.returnTo);
      return true;
    }
    try {
      if (window.opener && window.opener !== window) window.opener.postMessage(message, location.origin);
    } catch (e) {
    }
    if (window.BroadcastChannel) {
      var channel = new BroadcastChannel(CHANNEL);
      channel.postMessage(message);
      channel.close();
    }
    setTimeout(function() {
      window.close();
    }, 50);
    return true;
  }

  // src/util.js
  function base64url(bytes) {
    var text = "";
    for (var i = 0; i < bytes.length; i++) text += String.fromCharCode(bytes[i]);
    return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }
  function randomToken(size) {
    return base64url(crypto.getRandomValues(new Uint8Array(size || 32)));
  }
  async function pkceChallenge(verifier) {
    var digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier));
    return base64url(new Uint8Array(digest));
  }
  function trimSlash(url) {
    return String(url || "").replace(/\/+$/, "");
  }
  function sleep(ms) {
    return new Promise(function(resolve) {
      setTimeout(resolve, ms);
    });
  }

  // src/tokens.js
  var SPENT_HOLD_MS = 1e4;
  var CLAIM_SETTLE_MS = 250;
  function tokenStore(server, clientId, storage) {
    var key = keyFor(server, clientId, "tokens");
    var store = storage || "localStorage";
    var refreshing = null;
    function get() {
      return read(store, key);
    }
    function set(session) {
      write(store, key, session);
    }
    function refresh(staleAccessToken, onFresh) {
      if (!refreshing) {
        refreshing = refreshOnce(staleAccessToken, onFresh).finally(function() {
          refreshing = null;
        });
      }
      return refreshing;
    }
    function refreshOnce(staleAccessToken, onFresh) {
      return new Promise(function(resolve, reject) {
        var current2 = get();
        if (!current2) return reject(new LegionError("Not connected.", "not_connected", 401));
        if (current2.access_token !== staleAccessToken && current2.expires_at > Date.now()) {
          return resolve(current2);
        }
        var spent = current2.refresh_token;
        var waiting = new AbortController();
        var watch = setInterval(replaced, 50);
        function done(error, tokens) {
          clearInterval(watch);
          waiting.abort();
          if (error) reject(error);
          else resolve(tokens);
        }
        function replaced() {
          var now = get();
          if (now && now.refresh_token === spent) return false;
          done(now ? null : new LegionError("Not connected.", "not_connected", 401), now);
          return true;
        }
        var lock = PREFIX + "refresh:" + key + ":" + spent.slice(-16);
        exclusive(lock, store, waiting.signal, async function() {
          clearInterval(watch);
          if (replaced()) return;
          var fresh;
          try {
            fresh = await refreshSession(server, clientId, spent);
          } catch (error) {
            if ([400, 401, 403].indexOf(error.status) >= 0) set(null);
            else if (error.status && error.status !== 429) {
              error = new LegionError("Legion did not answer the refresh.", "network_error", error.status);
            }
            return done(error);
          }
          set(fresh);
          if (onFresh) onFresh(fresh);
          done(null, fresh);
          await sleep(SPENT_HOLD_MS);
        }).catch(done);
      });
    }
    return { key, get, set, refresh };
  }
  async function exclusive(name, store, signal, fn) {
    if (navigator.locks && navigator.locks.request) {
      return navigator.locks.request(name, { signal }, fn);
    }
    var prefix = PREFIX + "lock:" + name + ":";
    var me = { since: Date.now(), id: randomToken(8) };
    var mine = prefix + me.id;
    write(store, mine, { since: me.since, until: me.since + 3 * SPENT_HOLD_MS });
    try {
      for (var tries = 0; tries < 150; tries++) {
        await sleep(tries ? 100 : CLAIM_SETTLE_MS);
        if (signal.aborted) return;
        var first = firstClaim(store, prefix);
        if (!first || first.id === me.id) break;
      }
      return await fn();
    } finally {
      write(store, mine, null);
    }
  }
  function firstClaim(store, prefix) {
    var first = null;
    keysWith(store, prefix).forEach(function(key) {
      var claim = read(store, key);
      if (!claim || !(claim.until > Date.now())) return;
      var candidate = { since: claim.since, id: key.slice(prefix.length) };
      if (!first || candidate.since < first.since || candidate.since === first.since && candidate.id < first.id) {
        first = candidate;
      }
    });
    return first;
  }

  // widget/markdown.js
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    for (var name in attrs || {}) {
      var value = attrs[name];
      if (value == null || value === false) continue;
      if (name.slice(0, 2) === "on") node.addEventListener(name.slice(2), value);
      else if (name === "text") node.textContent = value;
      else node.setAttribute(name, value === true ? "" : value);
    }
    (children || []).forEach(function(child) {
      if (child) node.append(child);
    });
    return node;
  }
  function icon(path) {
    var ns = "http://www.w3.org/2000/svg";
    var svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    var shape = document.createElementNS(ns, "path");
    shape.setAttribute("d", path);
    svg.append(shape);
    return svg;
  }
  function safeHref(href) {
    try {
      var url = new URL(href);
      return ["http:", "https:", "mailto:"].indexOf(url.protocol) >= 0 ? url.href : null;
    } catch (e) {
      return null;
    }
  }
  var INLINE = /(`{1,3})(?=[^`])([\s\S]*?[^`])\1(?!`)|\*\*([\s\S]+?)\*\*|__([\s\S]+?)__|\*(?=\S)([\s\S]*?\S)\*|\b_(?=\S)([\s\S]*?\S)_\b|\[([^[\]]+)\]\(((?:[^()\s]|\([^()\s]*\))+)\)|(https?:\/\/[^\s<>()]+[^\s<>().,;:!?'"])/g;
  function inline(parent, text) {
    var last = 0;
    var match;
    var regex = new RegExp(INLINE.source, "g");
    while (match = regex.exec(text)) {
      if (match.index > last) parent.append(text.slice(last, match.index));
      last = regex.lastIndex;
      if (match[2] != null) parent.append(el("code", { text: match[2] }));
      else if (match[3] != null || match[4] != null)
        inline(parent.appendChild(el("strong")), match[3] || match[4]);
      else if (match[5] != null || match[6] != null)
        inline(parent.appendChild(el("em")), match[5] || match[6]);
      else {
        var href = safeHref(match[8] || match[9]);
        var label = match[7] || match[9];
        if (!href) parent.append(label);
        else
          inline(
            parent.appendChild(
              el("a", { href, target: "_blank", rel: "noopener noreferrer nofollow" })
            ),
            label
          );
      }
    }
    if (last < text.length) parent.append(text.slice(last));
  }
  function markdown(text) {
    var out = document.createDocumentFragment();
    var lines = text.split("\n");
    var paragraph = [];
    var list = null;
    function flush() {
      if (paragraph.length) {
        var p = el("p");
        paragraph.forEach(function(line2, i2) {
          if (i2) p.append(el("br"));
          inline(p, line2);
        });
        out.append(p);
      }
      paragraph = [];
    }
    for (var i = 0; i < lines.length; i++) {
      var line = lines[i];
      var item = /^\s*(?:([-*+])|(\d+)[.)])\s+(.*)$/.exec(line);
      if (/^\s*```/.test(line)) {
        flush();
        list = null;
        var code = [];
        while (++i < lines.length && !/^\s*```/.test(lines[i])) code.push(lines[i]);
        out.append(el("pre", {}, [el("code", { text: code.join("\n") })]));
      } else if (item) {
        flush();
        var tag = item[1] ? "ul" : "ol";
        if (!list || list.tagName.toLowerCase() !== tag) out.append(list = el(tag));
        inline(list.appendChild(el("li")), item[3]);
      } else if (/^\s*$/.test(line)) {
        flush();
        list = null;
      } else if (/^#{1,6}\s/.test(line)) {
        flush();
        list = null;
        inline(out.appendChild(el("p", { class: "h" })), line.replace(/^#+\s+/, ""));
      } else if (/^>\s?/.test(line)) {
        flush();
        list = null;
        inline(out.appendChild(el("blockquote")), line.replace(/^>\s?/, ""));
      } else {
        list = null;
        paragraph.push(line);
      }
    }
    flush();
    return out;
  }

  // widget/styles.js
  var CSS = [
    ":host{all:initial;display:block}",
    ".lc{--bg:#1e2128;--fg:#e8eaed;--muted:#a7adb8;--line:#3a3f4b;--accent:#8aa6ff;--on:#0b1020;--me:#2f3d6e;--bot:#2a2e37;--bad:#ff9b9b;",
    "font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:var(--fg);-webkit-text-size-adjust:100%}",
    ".lc[data-theme=light]{--bg:#fff;--fg:#1b1d22;--muted:#595f6b;--line:#d3d7de;--accent:#2f4fcf;--on:#fff;--me:#e3e9ff;--bot:#f1f3f6;--bad:#b3261e}",
    "@media (prefers-color-scheme:light){.lc[data-theme=auto]{--bg:#fff;--fg:#1b1d22;--muted:#595f6b;--line:#d3d7de;--accent:#2f4fcf;--on:#fff;--me:#e3e9ff;--bot:#f1f3f6;--bad:#b3261e}}",
    "*{box-sizing:border-box}[hidden]{display:none!important}",
    "button{font:inherit;color:inherit;cursor:pointer;border-radius:8px;border:1px solid var(--line);background:none;padding:6px 12px;min-height:36px}",
    "button.primary{background:var(--accent);border-color:var(--accent);color:var(--on);font-weight:600}",
    ":focus-visible{outline:2px solid var(--accent);outline-offset:2px}",
    "a{color:var(--accent)}svg{width:26px;height:26px;fill:currentColor}",
    ".launcher{position:fixed;z-index:2147483000;bottom:calc(20px + env(safe-area-inset-bottom));right:calc(20px + env(safe-area-inset-right));width:56px;height:56px;padding:0;border:0;border-radius:50%;background:var(--accent);color:var(--on);display:grid;place-items:center;box-shadow:0 6px 20px rgba(0,0,0,.3)}",
    "[data-position=bottom-left] .launcher{right:auto;left:calc(20px + env(safe-area-inset-left))}",
    ".panel{display:flex;flex-direction:column;background:var(--bg);border:1px solid var(--line);border-radius:14px;overflow:hidden;transition:opacity .15s,transform .15s}",
    "[data-position^=bottom] .panel{position:fixed;z-index:2147483000;bottom:calc(88px + env(safe-area-inset-bottom));right:calc(20px + env(safe-area-inset-right));width:min(380px,calc(100vw - 40px));height:min(600px,calc(100vh - 120px));box-shadow:0 12px 40px rgba(0,0,0,.35)}",
    "[data-position=bottom-left] .panel{right:auto;left:calc(20px + env(safe-area-inset-left))}",
    "[data-position=inline] .panel{width:100%;height:520px;max-height:85vh}",
    "@media (max-width:480px){[data-position^=bottom] .panel{inset:0;width:auto;height:auto;border:0;border-radius:0;padding:env(safe-area-inset-top) env(safe-area-inset-right) env(safe-area-inset-bottom) env(safe-area-inset-left)}}",
    "header{display:flex;align-items:center;gap:8px;padding:8px 12px;border-bottom:1px solid var(--line)}",
    "h2{flex:1;margin:0;font-size:15px}",
    ".log{flex:1;overflow-y:auto;overscroll-behavior:contain;padding:12px;display:flex;flex-direction:column;gap:8px}",
    ".msg{max-width:88%;padding:8px 12px;border-radius:12px;background:var(--bot);overflow-wrap:anywhere}",
    ".me{align-self:flex-end;background:var(--me);white-space:pre-wrap}",
    ".msg p,.msg ul,.msg ol,.msg pre,.msg blockquote{margin:0 0 6px}.msg>:last-child{margin-bottom:0}",
    ".msg ul,.msg ol{padding-left:20px}.h{font-weight:700}",
    "blockquote{border-left:3px solid var(--line);padding-left:8px}",
    "pre{overflow-x:auto;padding:8px;border-radius:6px;background:rgba(0,0,0,.22)}",
    "code{font:13px ui-monospace,Menlo,Consolas,monospace}",
    ".busy div:empty::after{content:'…';animation:pulse 1s infinite}@keyframes pulse{50%{opacity:.3}}",
    ".note{color:var(--muted);font-style:italic}",
    ".gate{padding:12px;display:flex;flex-direction:column;gap:10px;align-items:flex-start;border-top:1px solid var(--line)}",
    ".alert{margin:0 12px 8px;padding:8px 10px;border-radius:8px;border:1px solid var(--bad);color:var(--bad)}",
    ".alert a{color:inherit}",
    "form{display:flex;gap:8px;align-items:flex-end;padding:10px 12px;border-top:1px solid var(--line)}",
    "textarea{flex:1;font:inherit;font-size:16px;line-height:1.35;min-height:40px;max-height:140px;field-sizing:content;resize:none;padding:8px 10px;border-radius:10px;border:1px solid var(--line);background:var(--bot);color:var(--fg)}",
    "textarea::placeholder{color:var(--muted);opacity:1}",
    "footer{padding:4px 12px 8px;text-align:center;font-size:12px}footer a{color:var(--muted)}",
    ".sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}",
    "@media (prefers-reduced-motion:reduce){*{animation:none!important;transition:none!important}}"
  ].join("");
  var sheet = null;
  function styles() {
    if (!sheet) {
      sheet = new CSSStyleSheet();
      sheet.replaceSync(CSS);
    }
    return sheet;
  }

  // widget/main.js
  var preset = window.LegionChat;
  var VERSION = "0.2.0";
  var POSITIONS = ["bottom-right", "bottom-left", "inline"];
  var THEMES = ["dark", "light", "auto"];
  var CONNECT_TIMEOUT_MS = 5 * 60 * 1e3;
  var DETACHED_POPUP_MS = 2500;
  var RECENT = 8;
  var UPSTREAM_STATUS = { upstream_overloaded: 503, upstream_timeout: 504 };
  var STRINGS = {
    title: "Chat",
    open: "Open chat",
    minimize: "Minimize chat",
    close: "Close chat",
    connect: "Connect",
    disconnect: "Disconnect",
    send: "Send",
    stop: "Stop",
    newChat: "New chat",
    recent: "Recent chats",
    placeholder: "Ask me anything...",
    messages: "Messages",
    you: "You:",
    assistant: "Assistant:",
    intro: "Connect your Legion wallet to chat. You pay only for what you use.",
    waiting: "Finish connecting in the Legion window. Nothing happened? Connect again.",
    popupClosed: "The Legion window was closed before you finished. Connect to try again.",
    timedOut: "Connecting took too long. Connect to try again.",
    denied: "You chose not to connect. You can connect whenever you like.",
    connectFailed: "Connecting didn't work. Please try again.",
    connected: "Connected. Ask away!",
    disconnected: "Disconnected. Your tokens were revoked on this site.",
    reconnect: "Your Legion connection has ended. Connect again to keep chatting.",
    funds: "Your Legion wallet can't cover this message.",
    limit: "This message would pass your monthly spending limit.",
    account: "Open your Legion account",
    rateLimited: "You're sending messages quickly. Please wait a moment and try again.",
    upstream: "The AI service had a problem. Please try again.",
    network: "Can't reach Legion right now. Check your connection and try again.",
    failed: "Something went wrong: ",
    stopped: "(stopped)",
    poweredBy: "Powered by Legion"
  };
  function pick(value, allowed) {
    return allowed.indexOf(value) >= 0 ? value : allowed[0];
  }
  function scriptOptions(script2) {
    var d = script2.dataset;
    return {
      serverUrl: d.serverUrl || scriptOrigin,
      clientId: d.clientId,
      redirectUri: d.redirectUri,
      position: d.position,
      theme: d.theme,
      placeholder: d.placeholder,
      open: d.open == null ? void 0 : d.open !== "false"
    };
  }
  function resolveConfig(options) {
    var o = options || {};
    var serverUrl = o.serverUrl || scriptOrigin;
    if (!serverUrl || !o.clientId || !o.redirectUri) {
      throw new Error("LegionChat: serverUrl, clientId and redirectUri are required");
    }
    var strings = Object.assign({}, STRINGS, o.strings || {});
    return {
      serverUrl: trimSlash(new URL(serverUrl, location.href).href),
      clientId: String(o.clientId),
      redirectUri: String(o.redirectUri),
      position: pick(o.position, POSITIONS),
      theme: pick(o.theme, THEMES),
      placeholder: o.placeholder || strings.placeholder,
      open: typeof o.open === "boolean" ? o.open : null,
      // null: open on wide screens
      strings
    };
  }
  var ICON_CHAT = "M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2zm3 6a1.5 1.5 0 1 0 0 .01zm5 0a1.5 1.5 0 1 0 0 .01zm5 0a1.5 1.5 0 1 0 0 .01z";
  var ICON_CLOSE = "M6.4 5 12 10.6 17.6 5 19 6.4 13.4 12l5.6 5.6-1.4 1.4-5.6-5.6L6.4 19 5 17.6 10.6 12 5 6.4z";
  function kindOf(error) {
    var status = error.status;
    if (error.requiresReauth && error.requiresReauth()) return "reconnect";
    if (status === 403 && error.code !== "origin_not_allowed") return "reconnect";
    if (status === 402) return error.code === "limit_exceeded" ? "limit" : "funds";
    if (status === 429 || error.code === "rate_limited") return "rate";
    if (error.code === "network_error" || error.name === "TypeError") return "network";
    if (status >= 500 || status && /^upstream/.test(error.code)) return "upstream";
    return "failed";
  }
  function createWidget(host, cfg) {
    var s = cfg.strings;
    var floating = cfg.position !== "inline";
    var tokens = tokenStore(cfg.serverUrl, cfg.clientId);
    var call = authorizedCaller(cfg.serverUrl, tokens);
    var chatPath = "/v1/chat/" + encodeURIComponent(cfg.clientId);
    var conversationKey = keyFor(cfg.serverUrl, cfg.clientId, "conversation");
    var panelKey = keyFor(cfg.serverUrl, cfg.clientId, "panel");
    var shadow = host.attachShadow({ mode: "open" });
    shadow.adoptedStyleSheets = [styles()];
    var flow = null;
    var streaming = null;
    var loading = null;
    var log = el("div", { class: "log", role: "log", "aria-live": "polite", "aria-label": s.messages });
    var alertBox = el("div", { class: "alert", role: "alert", hidden: true });
    var gateText = el("p", { text: s.intro });
    var connectButton = el("button", { type: "button", class: "primary", text: s.connect, onclick: connect });
    var gate = el("div", { class: "gate" }, [gateText, connectButton]);
    var input = el("textarea", {
      rows: 1,
      placeholder: cfg.placeholder,
      "aria-label": cfg.placeholder,
      enterkeyhint: "send",
      onkeydown: function(event) {
        if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
          event.preventDefault();
          composer.requestSubmit();
        }
      }
    });
    var sendButton = el("button", { type: "submit", class: "primary", text: s.send });
    var stopButton = el("button", { type: "button", text: s.stop, hidden: true, onclick: stop });
    var composer = el("form", { onsubmit: onSubmit }, [input, sendButton, stopButton]);
    var newButton = el("button", { type: "button", text: s.newChat, onclick: newChat });
    var recent = el("select", { "aria-label": s.recent, onfocus: listRecent, onchange: pickRecent });
    var disconnectButton = el("button", { type: "button", text: s.disconnect, onclick: disconnect });
    var closeButton = floating ? el("button", { type: "button", "aria-label": s.close, onclick: close }, [icon(ICON_CLOSE)]) : null;
    var openAtStart = !floating || startsOpen();
    var panel = el(
      "section",
      {
        class: "panel",
        id: "panel",
        role: floating ? "dialog" : "region",
        "aria-label": s.title,
        hidden: !openAtStart
      },
      [
        el("header", {}, [el("h2", { text: s.title }), recent, newButton, disconnectButton, closeButton]),
        log,
        alertBox,
        gate,
        composer,
        el("footer", {}, [
          el("a", { href: cfg.serverUrl + "/", target: "_blank", rel: "noopener", text: s.poweredBy })
        ])
      ]
    );
    var launcher = floating ? el(
      "button",
      {
        type: "button",
        class: "launcher",
        "aria-label": openAtStart ? s.minimize : s.open,
        "aria-expanded": String(openAtStart),
        "aria-controls": "panel",
        onclick: function() {
          panel.hidden ? open() : close();
        }
      },
      [icon(ICON_CHAT)]
    ) : null;
    var root = el(
      "div",
      {
        class: "lc",
        "data-position": cfg.position,
        "data-theme": cfg.theme,
        onkeydown: function(event) {
          if (event.key === "Escape" && floating && !panel.hidden) close();
        }
      },
      [launcher, panel]
    );
    shadow.append(root);
    function startsOpen() {
      var chosen = read("sessionStorage", panelKey);
      if (chosen && tokens.get()) return chosen === "open";
      if (cfg.open !== null) return cfg.open;
      return !(window.matchMedia && matchMedia("(max-width:480px)").matches);
    }
    function open() {
      panel.hidden = false;
      if (launcher) {
        launcher.setAttribute("aria-expanded", "true");
        launcher.setAttribute("aria-label", s.minimize);
      }
      (composer.hidden ? connectButton : input).focus();
      log.scrollTop = log.scrollHeight;
      remember("open");
    }
    function close() {
      panel.hidden = true;
      launcher.setAttribute("aria-expanded", "false");
      launcher.setAttribute("aria-label", s.open);
      launcher.focus();
      remember("closed");
    }
    function remember(state) {
      if (tokens.get()) write("sessionStorage", panelKey, state);
    }
    function addMessage(role, text, extraClass) {
      var node = el("div", { class: "msg " + (role === "user" ? "me" : "bot") + (extraClass || "") });
      node.append(el("span", { class: "sr", text: role === "user" ? s.you : s.assistant }));
      var body = el("div");
      node.append(body);
      if (role === "user") body.textContent = text;
      else body.append(markdown(text));
      log.append(node);
      log.scrollTop = log.scrollHeight;
      return body;
    }
    function renderReply(body, text) {
      body.replaceChildren(markdown(text));
      if (log.scrollHeight - log.scrollTop - log.clientHeight < 80) log.scrollTop = log.scrollHeight;
    }
    function showAlert(text, link) {
      alertBox.replaceChildren(text);
      if (link) {
        alertBox.append(" ");
        alertBox.append(el("a", { href: link, target: "_blank", rel: "noopener", text: s.account }));
      }
      alertBox.hidden = false;
    }
    function clearAlert() {
      alertBox.hidden = true;
      alertBox.replaceChildren();
    }
    function showConnected(connected, text, focus) {
      composer.hidden = !connected;
      gate.hidden = connected;
      disconnectButton.hidden = !connected;
      newButton.hidden = !connected;
      recent.hidden = !connected;
      if (text) gateText.textContent = text;
      if (focus && !panel.hidden) (connected ? input : connectButton).focus();
    }
    function showGate(text, focus) {
      showConnected(false, text, focus);
    }
    function connect() {
      var state = randomToken();
      var verifier = randomToken();
      endFlow();
      clearAlert();
      var popup = window.open("", "legion-connect", popupFeatures());
      var url = pkceChallenge(verifier).then(function(challenge) {
        return authorizeUrl(cfg.serverUrl, cfg.clientId, cfg.redirectUri, state, challenge);
      });
      if (!popup) {
        write("sessionStorage", PREFIX + "flow:" + state, {
          state,
          verifier,
          server: cfg.serverUrl,
          client: cfg.clientId,
          returnTo: location.href
        });
        url.then(
          function(target) {
            location.assign(target);
          },
          function() {
            showGate(s.connectFailed, true);
          }
        );
        return;
      }
      flow = { state, verifier, popup, opened: Date.now() };
      flow.stop = listenForCallback(state, finishConnect);
      url.then(function(target) {
        if (flow && flow.popup === popup) popup.location.href = target;
      }).catch(function() {
        endFlow();
        popup.close();
        showGate(s.connectFailed, true);
      });
      showGate(s.waiting);
      flow.poll = setInterval(watchPopup, 400);
      flow.timer = setTimeout(function() {
        endFlow();
        showGate(s.timedOut);
      }, CONNECT_TIMEOUT_MS);
    }
    function watchPopup() {
      if (!flow || !flow.popup.closed) return;
      clearInterval(flow.poll);
      if (Date.now() - flow.opened < DETACHED_POPUP_MS) return;
      var watched = flow;
      setTimeout(function() {
        if (flow === watched) showGate(s.popupClosed);
      }, 1e3);
    }
    function endFlow() {
      if (!flow) return;
      clearInterval(flow.poll);
      clearTimeout(flow.timer);
      if (flow.stop) flow.stop();
      flow = null;
    }
    async function finishConnect(params) {
      if (!flow || !params || params.state !== flow.state) return;
      var verifier = flow.verifier;
      var popup = flow.popup;
      endFlow();
      try {
        if (popup && !popup.closed) popup.close();
      } catch (e) {
      }
      var code;
      try {
        code = codeOf(params, cfg.serverUrl);
      } catch (error) {
        return showGate(error.code === "access_denied" ? s.denied : s.connectFailed);
      }
      try {
        tokens.set(sessionFrom(await exchange(cfg.serverUrl, cfg.clientId, code, verifier, cfg.redirectUri)));
      } catch (e) {
        return showGate(e.code === "network_error" ? s.network : s.connectFailed);
      }
      showConnected(true, null, true);
      if (!log.childElementCount) addMessage("assistant", s.connected, " note");
    }
    function resumeRedirect() {
      var result = read("sessionStorage", PREFIX + "result");
      if (!result || !result.state) return;
      var record = read("sessionStorage", PREFIX + "flow:" + result.state);
      if (!record || record.server !== cfg.serverUrl || record.client !== cfg.clientId) return;
      write("sessionStorage", PREFIX + "result", null);
      write("sessionStorage", PREFIX + "flow:" + result.state, null);
      flow = { state: record.state, verifier: record.verifier };
      if (floating) open();
      finishConnect(result);
    }
    async function disconnect() {
      var current2 = tokens.get();
      stop();
      tokens.set(null);
      forgetConversation();
      write("sessionStorage", panelKey, null);
      log.replaceChildren();
      clearAlert();
      showGate(s.disconnected, true);
      if (current2) await revoke(cfg.serverUrl, cfg.clientId, current2.refresh_token).catch(function() {
      });
    }
    function conversationId() {
      return read("localStorage", conversationKey);
    }
    function forgetConversation() {
      write("localStorage", conversationKey, null);
    }
    function conversationPath(id, tail) {
      return chatPath + "/conversations/" + encodeURIComponent(id) + (tail || "");
    }
    async function showConversation(id) {
      var mine = loading = {};
      var conversation;
      try {
        conversation = await (await call("GET", conversationPath(id))).json();
      } catch (error) {
        if (error.status === 404) return forgetConversation();
        return failReply(error);
      }
      if (loading !== mine) return;
      log.replaceChildren();
      var last = conversation.messages[conversation.messages.length - 1];
      var followLast = last && (last.status === "in_progress" || last.status === "failed");
      conversation.messages.forEach(function(message) {
        if (message === last && followLast) return;
        var text = message.content + (message.status === "stopped" ? "\n\n" + s.stopped : "");
        addMessage(message.role, text);
      });
      if (followLast) {
        follow(call("GET", conversationPath(id, "/messages/" + encodeURIComponent(last.id) + "/events")));
      }
    }
    function newChat() {
      if (streaming) return;
      forgetConversation();
      log.replaceChildren();
      clearAlert();
      input.focus();
    }
    async function listRecent() {
      try {
        var page = await (await call("GET", chatPath + "/conversations?limit=" + RECENT)).json();
        recent.replaceChildren(el("option", { value: "", text: s.recent }));
        page.data.forEach(function(conversation) {
          recent.append(
            el("option", {
              value: conversation.id,
              text: conversation.title,
              selected: conversation.id === conversationId()
            })
          );
        });
      } catch (error) {
      }
    }
    function pickRecent() {
      if (!recent.value || streaming) return;
      write("localStorage", conversationKey, recent.value);
      clearAlert();
      showConversation(recent.value);
    }
    function onSubmit(event) {
      event.preventDefault();
      var text = input.value.trim();
      if (text && !streaming) send2(text);
    }
    async function send2(text) {
      clearAlert();
      input.value = "";
      var userNode = addMessage("user", text).parentNode;
      var id = conversationId();
      var asked = id ? call("POST", conversationPath(id, "/messages"), { content: text, stream: true }) : call("POST", chatPath + "/conversations/stream", { content: text });
      await follow(asked, text, userNode, function retry(error) {
        if (!id || error.status !== 404) return null;
        forgetConversation();
        id = null;
        return call("POST", chatPath + "/conversations/stream", { content: text });
      });
    }
    async function follow(responding, text, userNode, retry) {
      var body = addMessage("assistant", "", " busy");
      var reply = "";
      var painted = 0;
      var state = streaming = { answerId: null, stopAsked: false, lastId: 0, done: false };
      setStreaming(true);
      function onEvent(data, eventId) {
        var event = JSON.parse(data);
        if (eventId) state.lastId = Number(eventId);
        if (event.type === "conversation_created") {
          write("localStorage", conversationKey, event.conversation.id);
        } else if (event.type === "ai_chunk") {
          if (!state.answerId) {
            state.answerId = event.message_id;
            if (state.stopAsked) stop();
          }
          reply += event.content;
          if (!painted) {
            painted = requestAnimationFrame(function paint() {
              painted = 0;
              renderReply(body, reply);
            });
          }
        } else if (event.type === "ai_complete") {
          state.done = true;
          state.stopped = event.message.status === "stopped";
          reply = event.message.content;
        } else if (event.type === "error") {
          state.done = true;
          var status = reply ? 0 : UPSTREAM_STATUS[event.error.code] || 502;
          throw new LegionError(event.error.message, event.error.code, status);
        }
      }
      var failure = null;
      for (var attempt = 0; !state.done && attempt < 3; attempt++) {
        try {
          var response = await responding;
          await readEvents(response, onEvent);
          if (!state.done && state.answerId) throw new LegionError("cut", "network_error");
          break;
        } catch (error) {
          failure = error;
          var again = attempt === 0 && retry ? retry(error) : null;
          if (again) {
            responding = again;
            failure = null;
            continue;
          }
          if (state.done || !state.answerId || error.code !== "network_error") break;
          failure = null;
          responding = call(
            "GET",
            conversationPath(conversationId(), "/messages/" + encodeURIComponent(state.answerId) + "/events"),
            void 0,
            { "Last-Event-ID": String(state.lastId) }
          );
        }
      }
      cancelAnimationFrame(painted);
      body.parentNode.classList.remove("busy");
      if (failure) failReply(failure, text, reply, userNode);
      if (reply) renderReply(body, state.stopped ? reply + "\n\n" + s.stopped : reply);
      else body.parentNode.remove();
      streaming = null;
      setStreaming(false);
    }
    function failReply(error, text, reply, userNode) {
      if (!reply && userNode) {
        userNode.remove();
        input.value = text;
      }
      var kind = kindOf(error);
      if (kind === "reconnect") {
        tokens.set(null);
        return showGate(s.reconnect, true);
      }
      if (kind === "funds" || kind === "limit") return showAlert(s[kind], cfg.serverUrl + "/account");
      if (kind === "rate") return showAlert(s.rateLimited);
      if (kind === "upstream" || kind === "network") return showAlert(s[kind]);
      showAlert(s.failed + (error.message || error.code || ""));
    }
    function setStreaming(on) {
      sendButton.hidden = on;
      stopButton.hidden = !on;
      log.setAttribute("aria-busy", on ? "true" : "false");
      if (!on && !panel.hidden && !composer.hidden) input.focus();
    }
    function stop() {
      var state = streaming;
      if (!state) return;
      if (!state.answerId) {
        state.stopAsked = true;
        return;
      }
      var id = conversationId();
      if (id) call("POST", conversationPath(id, "/messages/" + encodeURIComponent(state.answerId) + "/stop")).catch(function() {
      });
    }
    function onStorage(event) {
      if (event.key !== tokens.key || streaming) return;
      if (!event.newValue) showGate(s.reconnect);
      else if (composer.hidden) showConnected(true);
    }
    window.addEventListener("storage", onStorage);
    showConnected(!!tokens.get());
    if (tokens.get() && conversationId()) showConversation(conversationId());
    resumeRedirect();
    return {
      destroy: function() {
        stop();
        endFlow();
        window.removeEventListener("storage", onStorage);
        shadow.replaceChildren();
      }
    };
  }
  function mount(element, options) {
    var cfg = resolveConfig(options);
    var host = document.createElement("div");
    host.className = "legion-chat-widget";
    (element || document.body).append(host);
    var widget = createWidget(host, cfg);
    return {
      unmount: function() {
        widget.destroy();
        host.remove();
      }
    };
  }
  function autoStart(script2) {
    if (script2.hasAttribute("data-legion-callback")) return handleCallback();
    if (!script2.dataset.clientId) return;
    var options = scriptOptions(script2);
    var target = document.querySelector(".legion-chat");
    if (options.position === "inline" && !target) options.position = "bottom-right";
    mount(target || document.body, options);
  }
  var current = document.currentScript;
  var script = current instanceof HTMLScriptElement ? current : Document.prototype.querySelector.call(
    document,
    "script[data-legion-callback],script[data-client-id][src*='widget']"
  );
  var scriptOrigin = script && script.src ? new URL(script.src, location.href).origin : "";
  if (!(preset && preset.mount)) {
    if (preset && preset.strings) Object.assign(STRINGS, preset.strings);
    window.LegionChat = {
      version: VERSION,
      strings: STRINGS,
      mount,
      markdown,
      readEvents
    };
    if (script) {
      if (document.readyState === "loading") {
        document.addEventListener("DOMContentLoaded", function() {
          autoStart(script);
        });
      } else {
        autoStart(script);
      }
    }
  }
})();
