/**
 * Legion chat widget · MIT licence · one file, no dependencies.
 * Embedding (SPEC §6.1): <script src="https://LEGION/widget.js" async data-client-id="lgn_..."
 *   data-redirect-uri="https://site.example/legion-callback"></script>
 * or window.LegionChat.mount(element, {serverUrl, clientId, redirectUri, ...}).
 * The redirect URI page loads this file with data-legion-callback and hands the result back.
 *
 * Built from sdk/ (npm run build in sdk/): the SDK's OAuth, token, error and stream code
 * with this UI. The chat lives on the server (SPEC §11): a reload or another page of the
 * site shows the conversation, and an answer still being written goes on where it was.
 *
 * Rules this file keeps, so that it works under a strict Content-Security-Policy and can't
 * be turned against the page: no innerHTML / eval / <style> / style attributes (styles are
 * a constructable stylesheet inside a Shadow DOM), model output becomes DOM text only, and
 * nothing is written to storage or cookies before the visitor clicks Connect.
 */
import { authorizedCaller } from "../src/api.js";
import { LegionError } from "../src/errors.js";
import { events, readEvents } from "../src/events.js";
import {
  authorizeUrl,
  codeOf,
  exchange,
  handleCallback,
  listenForCallback,
  popupFeatures,
  revoke,
  sessionFrom,
} from "../src/oauth.js";
import { PREFIX, keyFor, read, write } from "../src/storage.js";
import { tokenStore } from "../src/tokens.js";
import { pkceChallenge, randomToken, trimSlash } from "../src/util.js";
import { el, icon, markdown } from "./markdown.js";
import { styles } from "./styles.js";

var preset = window.LegionChat;

// ------------------------------------------------------------------ config

var VERSION = "0.2.0";
var POSITIONS = ["bottom-right", "bottom-left", "inline"];
var THEMES = ["dark", "light", "auto"];
var CONNECT_TIMEOUT_MS = 5 * 60 * 1000;
// A popup that reads as closed this soon was cut off by the page's
// Cross-Origin-Opener-Policy, not closed by a person: keep waiting for its BroadcastChannel.
var DETACHED_POPUP_MS = 2500;
var RECENT = 8; // conversations offered to go back to
var UPSTREAM_STATUS = { upstream_overloaded: 503, upstream_timeout: 504 };

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
  poweredBy: "Powered by Legion",
};

function pick(value, allowed) {
  return allowed.indexOf(value) >= 0 ? value : allowed[0];
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

// ------------------------------------------------------------------ UI

var ICON_CHAT =
  "M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2zm3 6a1.5 1.5 0 1 0 0 .01zm5 0a1.5 1.5 0 1 0 0 .01zm5 0a1.5 1.5 0 1 0 0 .01z";
var ICON_CLOSE =
  "M6.4 5 12 10.6 17.6 5 19 6.4 13.4 12l5.6 5.6-1.4 1.4-5.6-5.6L6.4 19 5 17.6 10.6 12 5 6.4z";

/** What the interface does with each kind of failure. */
function kindOf(error) {
  var status = error.status;
  if (error.requiresReauth && error.requiresReauth()) return "reconnect";
  if (status === 403 && error.code !== "origin_not_allowed") return "reconnect";
  if (status === 402) return error.code === "limit_exceeded" ? "limit" : "funds";
  if (status === 429 || error.code === "rate_limited") return "rate";
  if (error.code === "network_error" || error.name === "TypeError") return "network";
  if (status >= 500 || (status && /^upstream/.test(error.code))) return "upstream";
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

  var flow = null; // the connect attempt in progress: state, verifier, popup, timers
  var streaming = null; // the answer being read: {answerId, stopAsked, reader}
  var loading = null; // the conversation being shown, while it loads

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
  var newButton = el("button", { type: "button", text: s.newChat, onclick: newChat });
  var recent = el("select", { "aria-label": s.recent, onfocus: listRecent, onchange: pickRecent });
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
      el("header", {}, [el("h2", { text: s.title }), recent, newButton, disconnectButton, closeButton]),
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
    ? el(
        "button",
        {
          type: "button",
          class: "launcher",
          "aria-label": openAtStart ? s.minimize : s.open,
          "aria-expanded": String(openAtStart),
          "aria-controls": "panel",
          onclick: function () {
            panel.hidden ? open() : close();
          },
        },
        [icon(ICON_CHAT)]
      )
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
  /** focus: the visitor just acted, so move focus to what replaced the control they used. */
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

  // -- connect (SPEC §6.2): a popup, or the same flow as a full-page redirect
  function connect() {
    // window.open must run in this click handler, before any await, or it is blocked.
    var state = randomToken();
    var verifier = randomToken();
    endFlow();
    clearAlert();
    var popup = window.open("", "legion-connect", popupFeatures());
    var url = pkceChallenge(verifier).then(function (challenge) {
      return authorizeUrl(cfg.serverUrl, cfg.clientId, cfg.redirectUri, state, challenge);
    });
    if (!popup) {
      write("sessionStorage", PREFIX + "flow:" + state, {
        state: state,
        verifier: verifier,
        server: cfg.serverUrl,
        client: cfg.clientId,
        returnTo: location.href,
      });
      url.then(
        function (target) {
          location.assign(target);
        },
        function () {
          showGate(s.connectFailed, true);
        }
      );
      return;
    }
    flow = { state: state, verifier: verifier, popup: popup, opened: Date.now() };
    flow.stop = listenForCallback(state, finishConnect);
    url
      .then(function (target) {
        if (flow && flow.popup === popup) popup.location.href = target;
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
      /* cross-origin or detached */
    }
    var code;
    try {
      code = codeOf(params, cfg.serverUrl); // RFC 9207: answers count only from this server
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
    var current = tokens.get();
    stop();
    tokens.set(null);
    forgetConversation();
    write("sessionStorage", panelKey, null);
    log.replaceChildren();
    clearAlert();
    showGate(s.disconnected, true);
    if (current) await revoke(cfg.serverUrl, cfg.clientId, current.refresh_token).catch(function () {});
  }

  // -- the conversation, kept on the server (SPEC §11)
  function conversationId() {
    return read("localStorage", conversationKey);
  }

  function forgetConversation() {
    write("localStorage", conversationKey, null);
  }

  function conversationPath(id, tail) {
    return chatPath + "/conversations/" + encodeURIComponent(id) + (tail || "");
  }

  /** Show a conversation, and follow its last answer if it is still being written or
   * failed (perhaps while the page reloaded): its replayed events end with the live text
   * or with the error, which is then shown as it would have been live. */
  async function showConversation(id) {
    var mine = (loading = {});
    var conversation;
    try {
      conversation = await (await call("GET", conversationPath(id))).json();
    } catch (error) {
      if (error.status === 404) return forgetConversation(); // deleted elsewhere: start anew
      return failReply(error);
    }
    if (loading !== mine) return;
    log.replaceChildren();
    var last = conversation.messages[conversation.messages.length - 1];
    var followLast = last && (last.status === "in_progress" || last.status === "failed");
    conversation.messages.forEach(function (message) {
      if (message === last && followLast) return; // followed below
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
      page.data.forEach(function (conversation) {
        recent.append(
          el("option", {
            value: conversation.id,
            text: conversation.title,
            selected: conversation.id === conversationId(),
          })
        );
      });
    } catch (error) {
      /* the list is a convenience: a failure shows up on the next message */
    }
  }

  function pickRecent() {
    if (!recent.value || streaming) return;
    write("localStorage", conversationKey, recent.value);
    clearAlert();
    showConversation(recent.value);
  }

  // -- asking
  function onSubmit(event) {
    event.preventDefault();
    var text = input.value.trim();
    if (text && !streaming) send(text);
  }

  async function send(text) {
    clearAlert();
    input.value = "";
    var userNode = addMessage("user", text).parentNode;
    var id = conversationId();
    var asked = id
      ? call("POST", conversationPath(id, "/messages"), { content: text, stream: true })
      : call("POST", chatPath + "/conversations/stream", { content: text });
    await follow(asked, text, userNode, function retry(error) {
      // The conversation was deleted elsewhere: ask in a new one, quietly.
      if (!id || error.status !== 404) return null;
      forgetConversation();
      id = null;
      return call("POST", chatPath + "/conversations/stream", { content: text });
    });
  }

  /**
   * Read an answer's events into the log: the stream of an ask, or of an answer being
   * written that this page picks up. A cut connection resumes from the last event.
   */
  async function follow(responding, text, userNode, retry) {
    var body = addMessage("assistant", "", " busy");
    var reply = "";
    var painted = 0;
    var state = (streaming = { answerId: null, stopAsked: false, lastId: 0, done: false });
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
        // Before any text it is the provider's failure (the polite message); after, the
        // partial reply stays and the server's words are shown.
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
        // The connection broke, not the answer: pick it up from the last event.
        failure = null;
        responding = call(
          "GET",
          conversationPath(conversationId(), "/messages/" + encodeURIComponent(state.answerId) + "/events"),
          undefined,
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
      // Nothing was answered: take the question back so one click can send it again.
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
    // Screen readers hear the finished reply once, not every token as it streams in.
    log.setAttribute("aria-busy", on ? "true" : "false");
    if (!on && !panel.hidden && !composer.hidden) input.focus();
  }

  /** Stop the answer on the server (it would go on without this page): charged as far as
   * it got, and its stream ends with the stopped message. */
  function stop() {
    var state = streaming;
    if (!state) return;
    if (!state.answerId) {
      state.stopAsked = true; // stopped as soon as the answer has an id
      return;
    }
    var id = conversationId();
    if (id) call("POST", conversationPath(id, "/messages/" + encodeURIComponent(state.answerId) + "/stop")).catch(function () {});
  }

  // -- other tabs connecting or disconnecting
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
    destroy: function () {
      stop();
      endFlow();
      window.removeEventListener("storage", onStorage);
      shadow.replaceChildren();
    },
  };
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
  if (script.hasAttribute("data-legion-callback")) return handleCallback();
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

if (!(preset && preset.mount)) {
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
}
