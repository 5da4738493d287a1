/**
 * Legion JavaScript SDK · MIT licence · an ES module, no dependencies (SPEC §13).
 *   import { createLegion, LegionError } from "https://LEGION/sdk.js";
 *   const legion = createLegion({ clientId: "lgn_..." });
 */
import { authorizedCaller } from "./api.js";
import { LegionError } from "./errors.js";
import { events, streamError } from "./events.js";
import {
  authorizeUrl,
  codeOf,
  exchange,
  handleCallback,
  listenForCallback,
  popupFeatures,
  revoke,
  sessionFrom,
} from "./oauth.js";
import { PREFIX, read, write } from "./storage.js";
import { tokenStore } from "./tokens.js";
import { pkceChallenge, randomToken, trimSlash } from "./util.js";

export { LegionError, handleCallback };

var CONNECT_TIMEOUT_MS = 5 * 60 * 1000;
// A popup that reads as closed this soon was cut off by the page's Cross-Origin-Opener-
// Policy, not closed by a person: its answer still comes by BroadcastChannel.
var DETACHED_POPUP_MS = 2500;
var HERE = (function () {
  try {
    return new URL(import.meta.url).origin;
  } catch (e) {
    return "";
  }
})();

/**
 * A client of one Legion app. `authUrl` and `apiUrl` default to the server that served
 * this module; `onTokenRefresh(tokens)` hears every new token pair (the §4.3 response).
 */
export function createLegion(config) {
  var options = config || {};
  if (!options.clientId) throw new LegionError("createLegion needs a clientId.", "invalid_config");
  var clientId = String(options.clientId);
  var authUrl = trimSlash(options.authUrl || HERE);
  var apiUrl = trimSlash(options.apiUrl || authUrl);
  var tokens = tokenStore(apiUrl, clientId, options.storage);
  var flowKey = PREFIX + "sdkflow:" + apiUrl + "|" + clientId;

  function notify(session) {
    if (options.onTokenRefresh) options.onTokenRefresh(tokenResponse(session));
  }
  var call = authorizedCaller(apiUrl, tokens, notify);

  function keep(body) {
    var session = sessionFrom(body);
    tokens.set(session);
    return tokenResponse(session);
  }

  /**
   * Authorization code flow with PKCE (S256, always). With `popup: true` it resolves with
   * the tokens once the visitor allowed; call it from a click handler (the popup opens
   * before anything is awaited). Without, the page goes to Legion and comes back to
   * `redirectUri`, where exchangeCode() finishes.
   */
  function connect(connectOptions) {
    var o = connectOptions || {};
    if (!o.redirectUri) {
      return Promise.reject(new LegionError("connect needs a redirectUri.", "invalid_config"));
    }
    var popup = o.popup ? window.open("", "legion-connect", popupFeatures()) : null;
    var flow = {
      state: o.state || randomToken(),
      verifier: randomToken(),
      redirectUri: o.redirectUri,
      scope: o.scope || "chat:completions",
    };
    write("sessionStorage", flowKey, flow);
    var url = pkceChallenge(flow.verifier).then(function (challenge) {
      return authorizeUrl(authUrl, clientId, flow.redirectUri, flow.state, challenge, flow.scope);
    });
    if (!o.popup) {
      return url.then(function (target) {
        location.assign(target);
      });
    }
    if (!popup) {
      return Promise.reject(new LegionError("The browser blocked the popup.", "popup_blocked"));
    }
    return new Promise(function (resolve, reject) {
      var opened = Date.now();
      var stop = listenForCallback(flow.state, function (params) {
        finish();
        try {
          if (!popup.closed) popup.close();
        } catch (e) {
          /* detached */
        }
        redeem(codeOf(params, authUrl)).then(resolve, reject);
      });
      var poll = setInterval(function () {
        if (popup.closed && Date.now() - opened > DETACHED_POPUP_MS) {
          setTimeout(function () {
            if (!finished) fail(new LegionError("The window was closed.", "popup_closed"));
          }, 1000); // its answer can land just after it closes
          clearInterval(poll);
        }
      }, 400);
      var timer = setTimeout(function () {
        fail(new LegionError("Connecting took too long.", "timeout"));
      }, CONNECT_TIMEOUT_MS);
      var finished = false;
      function finish() {
        finished = true;
        stop();
        clearInterval(poll);
        clearTimeout(timer);
      }
      function fail(error) {
        if (finished) return;
        finish();
        reject(error);
      }
      url.then(
        function (target) {
          if (!finished) popup.location.href = target;
        },
        function () {
          popup.close();
          fail(new LegionError("No WebCrypto here (not a secure context?).", "unsupported"));
        }
      );
    });
  }

  function redeem(code) {
    var flow = read("sessionStorage", flowKey);
    if (!flow) return Promise.reject(new LegionError("No connect() to finish.", "invalid_state"));
    write("sessionStorage", flowKey, null);
    return exchange(authUrl, clientId, code, flow.verifier, flow.redirectUri).then(keep);
  }

  /**
   * On the redirect URI page after a full-page connect(): checks the address's `state` and
   * `iss` against what connect() kept, and redeems the code with its verifier.
   */
  function exchangeCode(code) {
    var query = new URLSearchParams(location.search);
    var flow = read("sessionStorage", flowKey);
    if (!flow || query.get("state") !== flow.state) {
      return Promise.reject(new LegionError("The state does not match.", "invalid_state"));
    }
    var params = { iss: query.get("iss"), code: code || query.get("code") };
    params.error = query.get("error");
    try {
      return redeem(codeOf(params, authUrl));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  function setTokens(pair) {
    tokens.set({
      access_token: pair.accessToken,
      refresh_token: pair.refreshToken,
      token_type: "Bearer",
      expires_at: Number.MAX_SAFE_INTEGER, // unknown: used until a 401
    });
  }

  async function refreshAccessToken() {
    var session = tokens.get();
    if (!session) throw new LegionError("Not connected.", "not_connected", 401);
    return tokenResponse(await tokens.refresh(session.access_token, notify));
  }

  async function disconnect() {
    var session = tokens.get();
    tokens.set(null);
    if (session) {
      // Revoking the refresh token revokes its whole grant, access tokens included.
      await revoke(apiUrl, clientId, session.refresh_token).catch(function () {});
    }
  }

  /** OpenAI chat completions: the completion object, or with `stream` the text pieces. */
  async function chat(messages, chatOptions) {
    var o = Object.assign({}, chatOptions);
    var autoRefresh = o.autoRefresh;
    delete o.autoRefresh;
    var body = Object.assign({}, o, { messages: messages });
    var response = await call("POST", "/v1/chat/completions", body, undefined, autoRefresh);
    if (!o.stream) return response.json();
    return texts(response);
  }

  var conversations = {
    create: function (o) {
      return json("POST", "/conversations", { title: o && o.title });
    },
    list: function (o) {
      return json("GET", "/conversations" + query(o));
    },
    get: function (id) {
      return json("GET", "/conversations/" + encodeURIComponent(id));
    },
    delete: function (id) {
      return json("DELETE", "/conversations/" + encodeURIComponent(id));
    },
    search: function (q, o) {
      return json("GET", "/search" + query(Object.assign({ q: q }, o)));
    },
    /** A §11 ask: the saved messages, or with `stream` an async iterator of its events. */
    ask: async function (id, content, o) {
      var body = Object.assign({}, o, { content: content });
      var path = "/conversations/" + encodeURIComponent(id) + "/messages";
      var response = await call("POST", base() + path, body);
      return body.stream ? conversationEvents(response) : response.json();
    },
    /** The events of an answer after `lastEventId` (0 or none: all), then the live ones. */
    resume: async function (id, messageId, lastEventId) {
      var path =
        "/conversations/" + encodeURIComponent(id) + "/messages/" + encodeURIComponent(messageId) + "/events";
      var headers = { "Last-Event-ID": String(lastEventId || 0) };
      return conversationEvents(await call("GET", base() + path, undefined, headers));
    },
  };

  function base() {
    return "/v1/chat/" + encodeURIComponent(clientId);
  }

  async function json(method, path, body) {
    var response = await call(method, base() + path, body);
    return response.status === 204 ? null : response.json();
  }

  return {
    connect: connect,
    exchangeCode: exchangeCode,
    setTokens: setTokens,
    chat: chat,
    refreshAccessToken: refreshAccessToken,
    isConnected: function () {
      return !!tokens.get();
    },
    disconnect: disconnect,
    conversations: conversations,
  };
}

function tokenResponse(session) {
  var body = Object.assign({}, session);
  delete body.expires_at;
  return body;
}

function query(o) {
  var params = new URLSearchParams();
  Object.keys(o || {}).forEach(function (name) {
    if (o[name] != null) params.set(name, o[name]);
  });
  var text = params.toString();
  return text ? "?" + text : "";
}

/** A completion stream's text pieces; an error event is thrown as a LegionError. */
async function* texts(response) {
  for await (var event of events(response)) {
    var chunk = JSON.parse(event.data);
    var failure = streamError(chunk);
    if (failure) throw failure;
    var choice = chunk.choices && chunk.choices[0];
    var text = choice && choice.delta && choice.delta.content;
    if (text) yield text;
  }
}

/** §11 events as objects, each with its `id`; an `error` event is thrown as a LegionError. */
async function* conversationEvents(response) {
  for await (var event of events(response)) {
    var parsed = JSON.parse(event.data);
    if (parsed.type === "error") throw streamError(parsed);
    if (event.id != null) parsed.id = Number(event.id);
    yield parsed;
  }
}
