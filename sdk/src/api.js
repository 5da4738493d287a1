import { LegionError, errorFrom, send } from "./errors.js";

/**
 * Calls with the app's access token: an expired one is refreshed first, and a 401 is
 * refreshed once and retried once (never two refreshes at once: see tokens.js). Answers
 * other than 2xx are LegionErrors.
 */
export function authorizedCaller(server, tokens, onTokenRefresh) {
  return async function call(method, path, body, headers, autoRefresh) {
    var refreshing = autoRefresh !== false;
    var session = tokens.get();
    if (!session) throw new LegionError("Not connected: connect first.", "not_connected", 401);
    if (refreshing && !(session.expires_at > Date.now())) {
      session = await tokens.refresh(session.access_token, onTokenRefresh);
    }
    for (var attempt = 0; ; attempt++) {
      var response = await send(server + path, {
        method: method,
        headers: Object.assign(
          { Authorization: "Bearer " + session.access_token },
          body !== undefined ? { "Content-Type": "application/json" } : {},
          headers || {}
        ),
        body: body !== undefined ? JSON.stringify(body) : undefined,
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
