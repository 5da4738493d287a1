/**
 * OAuth 2 for a public client (SPEC §4, §6.2): the authorization URL with PKCE, the token
 * endpoint, revocation, and the hand-over of a popup's answer from the callback page.
 */
import { LegionError, errorFrom, send } from "./errors.js";
import { PREFIX, read, write } from "./storage.js";

export var CHANNEL = "legionchat";
export var MESSAGE_TYPE = "legionchat:oauth";
var CALLBACK_PARAMS = ["code", "state", "iss", "error", "error_description"];

export function authorizeUrl(server, clientId, redirectUri, state, challenge, scope) {
  var query = new URLSearchParams({
    response_type: "code",
    client_id: clientId,
    redirect_uri: redirectUri,
    scope: scope || "chat:completions",
    state: state,
    code_challenge: challenge,
    code_challenge_method: "S256",
  });
  return server + "/connect?" + query;
}

/** A form POST to the token or revocation endpoint; the §4.3 body, or a LegionError. */
export async function tokenRequest(server, path, params) {
  var response = await send(server + path, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams(params),
  });
  if (!response.ok) throw await errorFrom(response);
  return response.json();
}

/** A stored session: the token response, and when its access token stops working. */
export function sessionFrom(body) {
  return Object.assign({}, body, { expires_at: Date.now() + (body.expires_in || 3600) * 1000 });
}

export function exchange(server, clientId, code, verifier, redirectUri) {
  return tokenRequest(server, "/v1/oauth/token", {
    grant_type: "authorization_code",
    code: code,
    client_id: clientId,
    redirect_uri: redirectUri,
    code_verifier: verifier,
  });
}

/** Spend a refresh token: the new session, or a LegionError. */
export async function refreshSession(server, clientId, refreshToken) {
  var body = await tokenRequest(server, "/v1/oauth/token", {
    grant_type: "refresh_token",
    refresh_token: refreshToken,
    client_id: clientId,
  });
  return sessionFrom(body);
}

export function revoke(server, clientId, token) {
  return tokenRequest(server, "/v1/oauth/revoke", { token: token, client_id: clientId });
}

/**
 * Wait for a callback page's answer for `state`: a postMessage from this page's own origin
 * (never another's), or a BroadcastChannel message when the page's Cross-Origin-Opener-
 * Policy cut the popup off. Returns a function that stops listening.
 */
export function listenForCallback(state, onParams) {
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
    channel.onmessage = function (event) {
      take(event.data);
    };
  }
  return function stop() {
    window.removeEventListener("message", onMessage);
    if (channel) channel.close();
  };
}

/** Checks an answer came from this server (RFC 9207) and carries a code. */
export function codeOf(params, server) {
  if (String(params.iss || "").replace(/\/+$/, "") !== server) {
    throw new LegionError("The answer did not come from this Legion server.", "invalid_state");
  }
  if (params.error) {
    throw new LegionError(params.error_description || params.error, params.error);
  }
  if (!params.code) throw new LegionError("The answer carried no code.", "invalid_state");
  return params.code;
}

export function popupFeatures() {
  var width = 480;
  var height = 680;
  var left = Math.max(0, (window.screenX || 0) + (window.outerWidth - width) / 2);
  var top = Math.max(0, (window.screenY || 0) + (window.outerHeight - height) / 2);
  return "popup,width=" + width + ",height=" + height + ",left=" + left + ",top=" + top;
}

/**
 * The redirect URI page (SPEC §6.1): hand the answer to the waiting page, take the code out
 * of the address bar, close. After a full-page redirect (popup blocked), the flow's record
 * says where to go back to, and the answer waits there in sessionStorage.
 */
export function handleCallback() {
  var url = new URL(location.href);
  var result = {};
  CALLBACK_PARAMS.forEach(function (name) {
    if (url.searchParams.has(name)) result[name] = url.searchParams.get(name);
    url.searchParams.delete(name);
  });
  if (!Object.keys(result).length) return false;
  history.replaceState(null, "", url.pathname + url.search + url.hash);
  if (!result.state) return false; // no flow of ours: nothing to hand over
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
    /* the opener navigated away */
  }
  if (window.BroadcastChannel) {
    var channel = new BroadcastChannel(CHANNEL);
    channel.postMessage(message);
    channel.close();
  }
  setTimeout(function () {
    window.close();
  }, 50);
  return true;
}
