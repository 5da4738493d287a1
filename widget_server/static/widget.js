/*! Legion chat widget · MIT licence · one file, no dependencies.
 * Embedding (SPEC §6.1): <script src="https://LEGION/widget.js" async data-client-id="lgn_..."
 *   data-redirect-uri="https://site.example/legion-callback"></script>
 * or window.LegionChat.mount(element, {serverUrl, clientId, redirectUri, ...}).
 * The redirect URI page loads this file with data-legion-callback and hands the result back.
 *
 * Rules this file keeps, so that it works under a strict Content-Security-Policy and can't
 * be turned against the page: no innerHTML / eval / <style> / style attributes (styles are
 * a constructable stylesheet inside a Shadow DOM), model output becomes DOM text only, and
 * nothing is written to storage or cookies before the visitor clicks Connect.
 */
(function () {
  "use strict";

  var preset = window.LegionChat;
  if (preset && preset.mount) return; // loaded twice: the first copy stays in charge

  // ------------------------------------------------------------------ config

  var VERSION = "0.1.0";
  var PREFIX = "legionchat:";
  var CHANNEL = "legionchat";
  var MESSAGE_TYPE = "legionchat:oauth";
  var POSITIONS = ["bottom-right", "bottom-left", "inline"];
  var THEMES = ["dark", "light", "auto"];
  var CONNECT_TIMEOUT_MS = 5 * 60 * 1000;
  // A popup that reads as closed this soon was cut off by the page's
  // Cross-Origin-Opener-Policy, not closed by a person: keep waiting for its BroadcastChannel.
  var DETACHED_POPUP_MS = 2500;
  var MAX_HISTORY = 40;
  // The tab that spent a refresh token keeps that token's lock this long. Other tabs'
  // copies of localStorage show its new tokens some time after the write (no bound holds:
  // Chromium updates each tab's copy by a message of its own), and a tab waiting for the
  // lock takes them as soon as they show, so the hold costs no one any time.
  var SPENT_HOLD_MS = 10000;
  var CALLBACK_PARAMS = ["code", "state", "iss", "error", "error_description"];

  /** Every string a visitor sees; replace any of them for another language. */
  var STRINGS = {
    title: "Chat",
    open: "Open chat",
    minimize: "Minimize chat",
    close: "Close chat",
    connect: "Connect",
    disconnect: "Disconnect",
    send: "Send",
    stop: "Stop",
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
    poweredBy: "Powered by Legion",
  };

  function pick(value, allowed) {
    return allowed.indexOf(value) >= 0 ? value : allowed[0];
  }

  function trimSlash(url) {
    return String(url || "").replace(/\/+$/, "");
  }

  /** Options from a script tag's data attributes (SPEC §6.1). */
  function scriptOptions(script) {
    var d = script.dataset;
    return {
      serverUrl: d.serverUrl || scriptOrigin,
      clientId: d.clientId,
      redirectUri: d.redirectUri,
      position: d.position,
      theme: d.theme,
      placeholder: d.placeholder,
      open: d.open == null ? undefined : d.open !== "false",
    };
  }

  /** serverUrl defaults to the origin widget.js was loaded from, as data-server-url does. */
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
      open: typeof o.open === "boolean" ? o.open : null, // null: open on wide screens
      strings: strings,
    };
  }

  // ------------------------------------------------------------------ auth / PKCE

  function base64url(bytes) {
    var text = "";
    for (var i = 0; i < bytes.length; i++) text += String.fromCharCode(bytes[i]);
    return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  /** 32 random bytes: 256 bits for the state and the PKCE verifier. */
  function randomToken(size) {
    return base64url(crypto.getRandomValues(new Uint8Array(size || 32)));
  }

  async function pkceChallenge(verifier) {
    var digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier));
    return base64url(new Uint8Array(digest));
  }

  function authorizeUrl(cfg, state, challenge) {
    var query = new URLSearchParams({
      response_type: "code",
      client_id: cfg.clientId,
      redirect_uri: cfg.redirectUri,
      scope: "chat:completions",
      state: state,
      code_challenge: challenge,
      code_challenge_method: "S256",
    });
    return cfg.serverUrl + "/connect?" + query;
  }

  function AuthError(code, message, status) {
    var error = new Error(message || code);
    error.code = code;
    error.status = status || 0;
    return error;
  }

  async function tokenRequest(cfg, path, params) {
    var response;
    try {
      response = await fetch(cfg.serverUrl + path, {
        method: "POST",
        credentials: "omit",
        headers: { "Content-Type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams(params),
      });
    } catch (e) {
      throw AuthError("network");
    }
    var body = await response.json().catch(function () {
      return {};
    });
    if (!response.ok) {
      throw AuthError(body.error || "server_error", body.error_description, response.status);
    }
    return body;
  }

  function sessionFrom(body) {
    return {
      access_token: body.access_token,
      refresh_token: body.refresh_token,
      expires_at: Date.now() + (body.expires_in || 3600) * 1000,
    };
  }

  async function exchangeCode(cfg, code, verifier) {
    var body = await tokenRequest(cfg, "/v1/oauth/token", {
      grant_type: "authorization_code",
      code: code,
      client_id: cfg.clientId,
      redirect_uri: cfg.redirectUri,
      code_verifier: verifier,
    });
    return sessionFrom(body);
  }

  async function refreshSession(cfg, refreshToken) {
    var body = await tokenRequest(cfg, "/v1/oauth/token", {
      grant_type: "refresh_token",
      refresh_token: refreshToken,
      client_id: cfg.clientId,
    });
    return sessionFrom(body);
  }

  function revokeToken(cfg, token) {
    return tokenRequest(cfg, "/v1/oauth/revoke", { token: token, client_id: cfg.clientId });
  }

  // ------------------------------------------------------------------ storage

  // What could not be stored (storage missing, blocked, full, or throwing in a private
  // mode) is kept here instead, so that a session then lasts as long as the page.
  var unstored = {};

  /** Storage that may be missing or throw (private modes, blocked cookies). */
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

  function keyFor(cfg, kind) {
    return PREFIX + kind + ":" + cfg.serverUrl + "|" + cfg.clientId;
  }

  function sleep(ms) {
    return new Promise(function (resolve) {
      setTimeout(resolve, ms);
    });
  }

  /**
   * Runs fn while no other tab of this site runs it for the same name; gives up waiting
   * (fn never runs) once signal is aborted.
   */
  async function exclusive(name, signal, fn) {
    if (navigator.locks && navigator.locks.request) {
      return navigator.locks.request(name, { signal: signal }, fn);
    }
    var key = PREFIX + "lock:" + name;
    var me = randomToken(8);
    for (var tries = 0; tries < 150; tries++) {
      if (signal.aborted) return;
      var held = read("localStorage", key);
      if (!held || held.until < Date.now()) {
        write("localStorage", key, { owner: me, until: Date.now() + 3 * SPENT_HOLD_MS });
        await sleep(40);
        if ((read("localStorage", key) || {}).owner === me) break;
      }
      await sleep(100);
    }
    try {
      return await fn();
    } finally {
      if ((read("localStorage", key) || {}).owner === me) write("localStorage", key, null);
    }
  }

  // ------------------------------------------------------------------ API / streaming

  function ChatError(kind, message, code) {
    var error = new Error(message || kind);
    error.kind = kind;
    error.code = code;
    return error;
  }

  async function apiError(response) {
    var body = await response.json().catch(function () {
      return {};
    });
    var error = body.error || {};
    var code = error.code || "";
    var status = response.status;
    var kind =
      status === 401 || (status === 403 && code !== "origin_not_allowed")
        ? "reconnect"
        : status === 402
          ? code === "limit_exceeded"
            ? "limit"
            : "funds"
          : status === 429
            ? "rate"
            : status >= 500
              ? "upstream"
              : "failed";
    return ChatError(kind, error.message, code);
  }

  function postChat(cfg, accessToken, messages, signal) {
    return fetch(cfg.serverUrl + "/v1/chat/completions", {
      method: "POST",
      credentials: "omit",
      signal: signal,
      headers: { "Content-Type": "application/json", Authorization: "Bearer " + accessToken },
      body: JSON.stringify({
        messages: messages,
        stream: true,
        stream_options: { include_usage: true },
      }),
    });
  }

  /**
   * Server-sent events over fetch: calls onData(data, id) with each event's data (and its
   * id: line, if any) until [DONE]. Shared with the hosted chat page (LegionChat.readEvents).
   */
  async function readEvents(response, onData) {
    var reader = response.body.getReader();
    var decoder = new TextDecoder();
    var buffer = "";
    var data = [];
    var id = null;
    for (;;) {
      var chunk = await reader.read();
      if (chunk.done) {
        if (data.length && data.join("\n") !== "[DONE]") onData(data.join("\n"), id);
        return;
      }
      buffer += decoder.decode(chunk.value, { stream: true });
      var end;
      while ((end = buffer.indexOf("\n")) >= 0) {
        var line = buffer.slice(0, end).replace(/\r$/, "");
        buffer = buffer.slice(end + 1);
        var field = line.slice(0, line.indexOf(":") >>> 0);
        var value = line.slice(field.length + (line.charAt(field.length + 1) === " " ? 2 : 1));
        if (field === "data") {
          data.push(value);
        } else if (field === "id") {
          id = value;
        } else if (line === "" && data.length) {
          var payload = data.join("\n");
          data = [];
          if (payload === "[DONE]") {
            reader.cancel().catch(function () {});
            return;
          }
          onData(payload, id);
          id = null;
        }
      }
    }
  }

  function deltaOf(payload) {
    var event;
    try {
      event = JSON.parse(payload);
    } catch (e) {
      return "";
    }
    if (event.error) throw ChatError("stream", event.error.message || String(event.error));
    var choice = event.choices && event.choices[0];
    return (choice && choice.delta && choice.delta.content) || "";
  }

  // ------------------------------------------------------------------ rendering

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    for (var name in attrs || {}) {
      var value = attrs[name];
      if (value == null || value === false) continue;
      if (name.slice(0, 2) === "on") node.addEventListener(name.slice(2), value);
      else if (name === "text") node.textContent = value;
      else node.setAttribute(name, value === true ? "" : value);
    }
    (children || []).forEach(function (child) {
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

  /** Only absolute http(s) and mailto links survive; javascript:, data: and the rest don't. */
  function safeHref(href) {
    try {
      var url = new URL(href);
      return ["http:", "https:", "mailto:"].indexOf(url.protocol) >= 0 ? url.href : null;
    } catch (e) {
      return null;
    }
  }

  var INLINE =
    /(`{1,3})(?=[^`])([\s\S]*?[^`])\1(?!`)|\*\*([\s\S]+?)\*\*|__([\s\S]+?)__|\*(?=\S)([\s\S]*?\S)\*|\b_(?=\S)([\s\S]*?\S)_\b|\[([^[\]]+)\]\(((?:[^()\s]|\([^()\s]*\))+)\)|(https?:\/\/[^\s<>()]+[^\s<>().,;:!?'"])/g;

  /** Inline markdown (code, bold, italic, links) as DOM nodes appended to parent. */
  function inline(parent, text) {
    var last = 0;
    var match;
    var regex = new RegExp(INLINE.source, "g");
    while ((match = regex.exec(text))) {
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
              el("a", { href: href, target: "_blank", rel: "noopener noreferrer nofollow" })
            ),
            label
          );
      }
    }
    if (last < text.length) parent.append(text.slice(last));
  }

  /** A small markdown subset built with DOM APIs: never HTML from the model. */
  function markdown(text) {
    var out = document.createDocumentFragment();
    var lines = text.split("\n");
    var paragraph = [];
    var list = null;
    function flush() {
      if (paragraph.length) {
        var p = el("p");
        paragraph.forEach(function (line, i) {
          if (i) p.append(el("br"));
          inline(p, line);
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
        if (!list || list.tagName.toLowerCase() !== tag) out.append((list = el(tag)));
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
    "@media (prefers-reduced-motion:reduce){*{animation:none!important;transition:none!important}}",
  ].join("");

  var sheet = null;
  function styles() {
    if (!sheet) {
      sheet = new CSSStyleSheet();
      sheet.replaceSync(CSS);
    }
    return sheet;
  }

  // ------------------------------------------------------------------ UI

  var ICON_CHAT =
    "M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2zm3 6a1.5 1.5 0 1 0 0 .01zm5 0a1.5 1.5 0 1 0 0 .01zm5 0a1.5 1.5 0 1 0 0 .01z";
  var ICON_CLOSE =
    "M6.4 5 12 10.6 17.6 5 19 6.4 13.4 12l5.6 5.6-1.4 1.4-5.6-5.6L6.4 19 5 17.6 10.6 12 5 6.4z";

  function createWidget(host, cfg) {
    var s = cfg.strings;
    var floating = cfg.position !== "inline";
    var tokensKey = keyFor(cfg, "tokens");
    var historyKey = keyFor(cfg, "history");
    var panelKey = keyFor(cfg, "panel");
    var shadow = host.attachShadow({ mode: "open" });
    shadow.adoptedStyleSheets = [styles()];

    var turns = read("sessionStorage", historyKey) || [];
    var flow = null; // the connect attempt in progress: state, verifier, popup, timers
    var channel = null;
    var streaming = null; // AbortController of the reply being streamed
    var refreshing = null; // this tab's refresh in flight

    // -- DOM
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
      onkeydown: function (event) {
        if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
          event.preventDefault();
          composer.requestSubmit();
        }
      },
    });
    var sendButton = el("button", { type: "submit", class: "primary", text: s.send });
    var stopButton = el("button", { type: "button", text: s.stop, hidden: true, onclick: stop });
    var composer = el("form", { onsubmit: onSubmit }, [input, sendButton, stopButton]);
    var disconnectButton = el("button", { type: "button", text: s.disconnect, onclick: disconnect });
    var closeButton = floating
      ? el("button", { type: "button", "aria-label": s.close, onclick: close }, [icon(ICON_CLOSE)])
      : null;
    var openAtStart = !floating || startsOpen();
    var panel = el(
      "section",
      {
        class: "panel",
        id: "panel",
        role: floating ? "dialog" : "region",
        "aria-label": s.title,
        hidden: !openAtStart,
      },
      [
        el("header", {}, [el("h2", { text: s.title }), disconnectButton, closeButton]),
        log,
        alertBox,
        gate,
        composer,
        el("footer", {}, [
          el("a", { href: cfg.serverUrl + "/", target: "_blank", rel: "noopener", text: s.poweredBy }),
        ]),
      ]
    );
    var launcher = floating
      ? el("button", {
          type: "button",
          class: "launcher",
          "aria-label": openAtStart ? s.minimize : s.open,
          "aria-expanded": String(openAtStart),
          "aria-controls": "panel",
          onclick: function () {
            panel.hidden ? open() : close();
          },
        }, [icon(ICON_CHAT)])
      : null;
    var root = el(
      "div",
      {
        class: "lc",
        "data-position": cfg.position,
        "data-theme": cfg.theme,
        onkeydown: function (event) {
          if (event.key === "Escape" && floating && !panel.hidden) close();
        },
      },
      [launcher, panel]
    );
    shadow.append(root);

    // -- panel
    /**
     * A floating panel starts open where there is room for it beside the page (so Connect
     * is one click away), and closed on narrow screens, where it would cover the page.
     * The visitor's own choice wins once connected: it is kept for the tab's session
     * (nothing is stored before Connect).
     */
    function startsOpen() {
      var chosen = read("sessionStorage", panelKey);
      if (chosen && session()) return chosen === "open";
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
      if (session()) write("sessionStorage", panelKey, state);
    }

    // -- messages
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

    // -- connection state
    function session() {
      return read("localStorage", tokensKey);
    }

    /** focus: the visitor just acted, so move focus to what replaced the control they used. */
    function showConnected(connected, text, focus) {
      composer.hidden = !connected;
      gate.hidden = connected;
      disconnectButton.hidden = !connected;
      if (text) gateText.textContent = text;
      if (focus && !panel.hidden) (connected ? input : connectButton).focus();
    }

    function showGate(text, focus) {
      showConnected(false, text, focus);
    }

    // -- connect (SPEC §6.2): a popup, or the same flow as a full-page redirect
    function connect() {
      // window.open must run in this click handler, before any await, or it is blocked.
      var state = randomToken();
      var verifier = randomToken();
      endFlow();
      clearAlert();
      var popup = window.open("", "legion-connect", popupFeatures());
      var challenge = pkceChallenge(verifier);
      if (!popup) {
        write("sessionStorage", PREFIX + "flow:" + state, {
          state: state,
          verifier: verifier,
          server: cfg.serverUrl,
          client: cfg.clientId,
          returnTo: location.href,
        });
        challenge.then(
          function (c) {
            location.assign(authorizeUrl(cfg, state, c));
          },
          function () {
            showGate(s.connectFailed, true);
          }
        );
        return;
      }
      flow = { state: state, verifier: verifier, popup: popup, opened: Date.now() };
      listen();
      challenge
        .then(function (c) {
          if (flow && flow.popup === popup) popup.location.href = authorizeUrl(cfg, state, c);
        })
        .catch(function () {
          // No WebCrypto (a page that is not a secure context), or the window went away.
          endFlow();
          popup.close();
          showGate(s.connectFailed, true);
        });
      showGate(s.waiting);
      flow.poll = setInterval(watchPopup, 400);
      flow.timer = setTimeout(function () {
        endFlow();
        showGate(s.timedOut);
      }, CONNECT_TIMEOUT_MS);
    }

    function popupFeatures() {
      var width = 480;
      var height = 680;
      var left = Math.max(0, (window.screenX || 0) + (window.outerWidth - width) / 2);
      var top = Math.max(0, (window.screenY || 0) + (window.outerHeight - height) / 2);
      return "popup,width=" + width + ",height=" + height + ",left=" + left + ",top=" + top;
    }

    function listen() {
      window.addEventListener("message", onMessage);
      if (!channel && window.BroadcastChannel) {
        channel = new BroadcastChannel(CHANNEL);
        channel.onmessage = function (event) {
          if (event.data && event.data.type === MESSAGE_TYPE) finishConnect(event.data.params);
        };
      }
    }

    function onMessage(event) {
      // The callback page is on this site; nothing from another origin is a result.
      if (event.origin !== location.origin || !event.data || event.data.type !== MESSAGE_TYPE) return;
      finishConnect(event.data.params);
    }

    function watchPopup() {
      if (!flow || !flow.popup.closed) return;
      clearInterval(flow.poll);
      if (Date.now() - flow.opened < DETACHED_POPUP_MS) return; // COOP cut it off; keep waiting
      var watched = flow;
      // The callback's message can land just after the window closes: give it a moment.
      setTimeout(function () {
        if (flow === watched) showGate(s.popupClosed);
      }, 1000);
    }

    function endFlow() {
      if (!flow) return;
      clearInterval(flow.poll);
      clearTimeout(flow.timer);
      flow = null;
      window.removeEventListener("message", onMessage);
      if (channel) channel.close();
      channel = null;
    }

    async function finishConnect(params) {
      if (!flow || !params || params.state !== flow.state) return;
      var verifier = flow.verifier;
      var popup = flow.popup;
      endFlow();
      try {
        if (popup && !popup.closed) popup.close();
      } catch (e) {
        /* cross-origin or detached */
      }
      // RFC 9207: an answer, error or not, counts only when it comes from this server.
      if (trimSlash(params.iss) !== cfg.serverUrl) return showGate(s.connectFailed);
      if (params.error) return showGate(params.error === "access_denied" ? s.denied : s.connectFailed);
      if (!params.code) return showGate(s.connectFailed);
      try {
        write("localStorage", tokensKey, await exchangeCode(cfg, params.code, verifier));
      } catch (e) {
        return showGate(e.code === "network" ? s.network : s.connectFailed);
      }
      showConnected(true, null, true);
      if (!log.childElementCount) addMessage("assistant", s.connected, " note");
    }

    /** After a full-page redirect flow, the callback page left its result for this page. */
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
      var current = session();
      stop();
      write("localStorage", tokensKey, null);
      write("sessionStorage", historyKey, null);
      write("sessionStorage", panelKey, null);
      turns = [];
      log.replaceChildren();
      clearAlert();
      showGate(s.disconnected, true);
      if (current) await revokeToken(cfg, current.refresh_token).catch(function () {});
    }

    // -- tokens: a refresh token is spent once, by one tab (a reused one revokes the grant)
    function refresh(staleAccessToken) {
      if (!refreshing) {
        refreshing = refreshOnce(staleAccessToken).finally(function () {
          refreshing = null;
        });
      }
      return refreshing;
    }

    /**
     * The tab that spends a refresh token holds a lock named after it, and keeps it a while
     * after storing what the server answered. Every other tab that needs that refresh waits
     * for the lock while watching its own copy of localStorage, and takes the new tokens
     * when they show there: it gets the lock only if nobody spent the token.
     */
    function refreshOnce(staleAccessToken) {
      return new Promise(function (resolve, reject) {
        var current = session();
        if (!current) return reject(ChatError("reconnect"));
        if (current.access_token !== staleAccessToken && current.expires_at > Date.now()) {
          return resolve(current); // another tab refreshed already
        }
        var spent = current.refresh_token;
        var waiting = new AbortController();
        var watch = setInterval(replaced, 50);
        function done(error, tokens) {
          clearInterval(watch);
          waiting.abort();
          if (error) reject(error);
          else resolve(tokens);
        }
        /** True (and done) once storage no longer holds the token to spend. */
        function replaced() {
          var now = session();
          if (now && now.refresh_token === spent) return false;
          done(now ? null : ChatError("reconnect"), now);
          return true;
        }
        var lock = PREFIX + "refresh:" + tokensKey + ":" + spent.slice(-16);
        exclusive(lock, waiting.signal, async function () {
          clearInterval(watch);
          if (replaced()) return;
          var fresh = null;
          try {
            fresh = await refreshSession(cfg, spent);
          } catch (e) {
            // Not refused, only not answered now (offline, throttled, a server error): the
            // token is perhaps unspent, so it is kept, the lock goes, and a later try may
            // use it. Only a refusal (400/401/403) ends the connection.
            if (e.status === 429) return done(ChatError("rate"));
            if ([400, 401, 403].indexOf(e.status) < 0) return done(ChatError("network"));
          }
          write("localStorage", tokensKey, fresh);
          done(fresh ? null : ChatError("reconnect"), fresh);
          await sleep(SPENT_HOLD_MS);
        }).catch(done); // aborted after done (a no-op), or no usable lock
      });
    }

    async function requestReply(messages, signal) {
      var current = session();
      if (!current) throw ChatError("reconnect");
      if (!(current.expires_at > Date.now())) current = await refresh(current.access_token);
      var response = await postChat(cfg, current.access_token, messages, signal);
      if (response.status === 401) {
        current = await refresh(current.access_token);
        response = await postChat(cfg, current.access_token, messages, signal);
      }
      if (!response.ok) throw await apiError(response);
      return response;
    }

    // -- chat
    function onSubmit(event) {
      event.preventDefault();
      var text = input.value.trim();
      if (text && !streaming) send(text);
    }

    async function send(text) {
      clearAlert();
      input.value = "";
      var userNode = addMessage("user", text).parentNode;
      var body = addMessage("assistant", "", " busy");
      var reply = "";
      var painted = 0;
      var stopped = false;
      var conversation = turns; // replaced by Disconnect: then this reply is not kept
      conversation.push({ role: "user", content: text });
      setStreaming(new AbortController());
      var signal = streaming.signal;
      try {
        var response = await requestReply(conversation.slice(-MAX_HISTORY), signal);
        await readEvents(response, function (payload) {
          reply += deltaOf(payload);
          if (!painted && reply) {
            painted = requestAnimationFrame(function paint() {
              painted = 0;
              renderReply(body, reply);
            });
          }
        });
      } catch (error) {
        stopped = signal.aborted;
        if (!stopped) failReply(error, text, reply, userNode, conversation);
      }
      cancelAnimationFrame(painted);
      body.parentNode.classList.remove("busy");
      if (reply) {
        renderReply(body, stopped ? reply + "\n\n" + s.stopped : reply);
        conversation.push({ role: "assistant", content: reply });
      } else {
        body.parentNode.remove();
      }
      setStreaming(null);
      if (conversation === turns) write("sessionStorage", historyKey, turns.slice(-MAX_HISTORY));
    }

    function failReply(error, text, reply, userNode, conversation) {
      if (!reply) {
        // Nothing was answered: take the question back so one click can send it again.
        conversation.pop();
        userNode.remove();
        input.value = text;
      }
      var kind = error.kind || (error.name === "TypeError" ? "network" : "failed");
      if (kind === "reconnect") {
        write("localStorage", tokensKey, null);
        return showGate(s.reconnect, true);
      }
      if (kind === "funds" || kind === "limit") {
        return showAlert(s[kind], cfg.serverUrl + "/account");
      }
      if (kind === "rate") return showAlert(s.rateLimited);
      if (kind === "upstream" || kind === "network") return showAlert(s[kind]);
      showAlert(s.failed + (error.message || error.code || ""));
    }

    function setStreaming(controller) {
      streaming = controller;
      sendButton.hidden = !!controller;
      stopButton.hidden = !controller;
      // Screen readers hear the finished reply once, not every token as it streams in.
      log.setAttribute("aria-busy", controller ? "true" : "false");
      if (!controller && !panel.hidden && !composer.hidden) input.focus();
    }

    function stop() {
      if (streaming) streaming.abort();
    }

    // -- other tabs connecting or disconnecting
    function onStorage(event) {
      if (event.key !== tokensKey || streaming) return;
      if (!event.newValue) showGate(s.reconnect);
      else if (composer.hidden) showConnected(true);
    }

    window.addEventListener("storage", onStorage);
    turns.forEach(function (message) {
      addMessage(message.role, message.content);
    });
    showConnected(!!session());
    resumeRedirect();

    return {
      destroy: function () {
        stop();
        endFlow();
        window.removeEventListener("storage", onStorage);
        shadow.replaceChildren();
      },
    };
  }

  // ------------------------------------------------------------------ callback page

  /** The redirect URI page: hand the result to the waiting widget, then close. */
  function runCallback() {
    var url = new URL(location.href);
    var result = {};
    CALLBACK_PARAMS.forEach(function (name) {
      if (url.searchParams.has(name)) result[name] = url.searchParams.get(name);
      url.searchParams.delete(name);
    });
    if (!Object.keys(result).length) return;
    history.replaceState(null, "", url.pathname + url.search + url.hash); // the code leaves the address bar
    if (!result.state) return; // no flow of ours: nothing to hand over
    var message = { type: MESSAGE_TYPE, params: result };
    var record = read("sessionStorage", PREFIX + "flow:" + result.state);
    if (record && new URL(record.returnTo).origin === location.origin) {
      write("sessionStorage", PREFIX + "result", result); // the full-page flow: back to the page
      location.replace(record.returnTo);
      return;
    }
    try {
      if (window.opener && window.opener !== window) window.opener.postMessage(message, location.origin);
    } catch (e) {
      /* the opener navigated away */
    }
    if (window.BroadcastChannel) {
      var channel = new BroadcastChannel(CHANNEL); // the opener is gone under COOP
      channel.postMessage(message);
      channel.close();
    }
    setTimeout(function () {
      window.close();
    }, 50);
  }

  // ------------------------------------------------------------------ public API

  function mount(element, options) {
    var cfg = resolveConfig(options);
    var host = document.createElement("div");
    host.className = "legion-chat-widget";
    (element || document.body).append(host);
    var widget = createWidget(host, cfg);
    return {
      unmount: function () {
        widget.destroy();
        host.remove();
      },
    };
  }

  function autoStart(script) {
    if (script.hasAttribute("data-legion-callback")) return runCallback();
    if (!script.dataset.clientId) return; // programmatic use: LegionChat.mount(...)
    var options = scriptOptions(script);
    var target = document.querySelector(".legion-chat");
    if (options.position === "inline" && !target) options.position = "bottom-right";
    mount(target || document.body, options);
  }

  // Only a real script element: page markup can shadow document.currentScript
  // (<form name="currentScript" data-client-id=...>), and must not choose the server.
  var current = document.currentScript;
  var script =
    current instanceof HTMLScriptElement
      ? current
      : Document.prototype.querySelector.call(
          document,
          "script[data-legion-callback],script[data-client-id][src*='widget']"
        );
  var scriptOrigin = script && script.src ? new URL(script.src, location.href).origin : "";

  // A page may set window.LegionChat = {strings: {...}} before this file loads.
  if (preset && preset.strings) Object.assign(STRINGS, preset.strings);
  // markdown and readEvents are shared with the hosted chat page (/chat/<client_id>).
  window.LegionChat = {
    version: VERSION,
    strings: STRINGS,
    mount: mount,
    markdown: markdown,
    readEvents: readEvents,
  };

  if (script) {
    if (document.readyState === "loading") {
      document.addEventListener("DOMContentLoaded", function () {
        autoStart(script);
      });
    } else {
      autoStart(script);
    }
  }
})();
