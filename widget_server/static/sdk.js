/*! Legion JavaScript SDK · MIT licence · an ES module, no dependencies. Built from sdk/src (npm run build); edit the sources. */

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
function streamError(parsed) {
  var error = parsed && parsed.error;
  if (!error) return null;
  return new LegionError(error.message || String(error), error.code || "upstream_error", 0);
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
  var query2 = new URLSearchParams({
    response_type: "code",
    client_id: clientId,
    redirect_uri: redirectUri,
    scope: scope || "chat:completions",
    state,
    code_challenge: challenge,
    code_challenge_method: "S256"
  });
  return server + "/connect?" + query2;
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
      var current = get();
      if (!current) return reject(new LegionError("Not connected.", "not_connected", 401));
      if (current.access_token !== staleAccessToken && current.expires_at > Date.now()) {
        return resolve(current);
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

// src/index.js
var CONNECT_TIMEOUT_MS = 5 * 60 * 1e3;
var DETACHED_POPUP_MS = 2500;
var HERE = (function() {
  try {
    return new URL(import.meta.url).origin;
  } catch (e) {
    return "";
  }
})();
function createLegion(config) {
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
      scope: o.scope || "chat:completions"
    };
    write("sessionStorage", flowKey, flow);
    var url = pkceChallenge(flow.verifier).then(function(challenge) {
      return authorizeUrl(authUrl, clientId, flow.redirectUri, flow.state, challenge, flow.scope);
    });
    if (!o.popup) {
      return url.then(function(target) {
        location.assign(target);
      });
    }
    if (!popup) {
      return Promise.reject(new LegionError("The browser blocked the popup.", "popup_blocked"));
    }
    return new Promise(function(resolve, reject) {
      var opened = Date.now();
      var stop = listenForCallback(flow.state, function(params) {
        finish();
        try {
          if (!popup.closed) popup.close();
        } catch (e) {
        }
        redeem(codeOf(params, authUrl)).then(resolve, reject);
      });
      var poll = setInterval(function() {
        if (popup.closed && Date.now() - opened > DETACHED_POPUP_MS) {
          setTimeout(function() {
            if (!finished) fail(new LegionError("The window was closed.", "popup_closed"));
          }, 1e3);
          clearInterval(poll);
        }
      }, 400);
      var timer = setTimeout(function() {
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
        function(target) {
          if (!finished) popup.location.href = target;
        },
        function() {
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
  function exchangeCode(code) {
    var query2 = new URLSearchParams(location.search);
    var flow = read("sessionStorage", flowKey);
    if (!flow || query2.get("state") !== flow.state) {
      return Promise.reject(new LegionError("The state does not match.", "invalid_state"));
    }
    var params = { iss: query2.get("iss"), code: code || query2.get("code") };
    params.error = query2.get("error");
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
      expires_at: Number.MAX_SAFE_INTEGER
      // unknown: used until a 401
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
      await revoke(apiUrl, clientId, session.refresh_token).catch(function() {
      });
    }
  }
  async function chat(messages, chatOptions) {
    var o = Object.assign({}, chatOptions);
    var autoRefresh = o.autoRefresh;
    delete o.autoRefresh;
    var body = Object.assign({}, o, { messages });
    var response = await call("POST", "/v1/chat/completions", body, void 0, autoRefresh);
    if (!o.stream) return response.json();
    return texts(response);
  }
  var conversations = {
    create: function(o) {
      return json("POST", "/conversations", { title: o && o.title });
    },
    list: function(o) {
      return json("GET", "/conversations" + query(o));
    },
    get: function(id) {
      return json("GET", "/conversations/" + encodeURIComponent(id));
    },
    delete: function(id) {
      return json("DELETE", "/conversations/" + encodeURIComponent(id));
    },
    search: function(q, o) {
      return json("GET", "/search" + query(Object.assign({ q }, o)));
    },
    /** A §11 ask: the saved messages, or with `stream` an async iterator of its events. */
    ask: async function(id, content, o) {
      var body = Object.assign({}, o, { content });
      var path = "/conversations/" + encodeURIComponent(id) + "/messages";
      var response = await call("POST", base() + path, body);
      return body.stream ? conversationEvents(response) : response.json();
    },
    /** The events of an answer after `lastEventId` (0 or none: all), then the live ones. */
    resume: async function(id, messageId, lastEventId) {
      var path = "/conversations/" + encodeURIComponent(id) + "/messages/" + encodeURIComponent(messageId) + "/events";
      var headers = { "Last-Event-ID": String(lastEventId || 0) };
      return conversationEvents(await call("GET", base() + path, void 0, headers));
    }
  };
  function base() {
    return "/v1/chat/" + encodeURIComponent(clientId);
  }
  async function json(method, path, body) {
    var response = await call(method, base() + path, body);
    return response.status === 204 ? null : response.json();
  }
  return {
    connect,
    exchangeCode,
    setTokens,
    chat,
    refreshAccessToken,
    isConnected: function() {
      return !!tokens.get();
    },
    disconnect,
    conversations
  };
}
function tokenResponse(session) {
  var body = Object.assign({}, session);
  delete body.expires_at;
  return body;
}
function query(o) {
  var params = new URLSearchParams();
  Object.keys(o || {}).forEach(function(name) {
    if (o[name] != null) params.set(name, o[name]);
  });
  var text = params.toString();
  return text ? "?" + text : "";
}
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
async function* conversationEvents(response) {
  for await (var event of events(response)) {
    var parsed = JSON.parse(event.data);
    if (parsed.type === "error") throw streamError(parsed);
    if (event.id != null) parsed.id = Number(event.id);
    yield parsed;
  }
}
export {
  LegionError,
  createLegion,
  handleCallback
};
