/**
 * LegionError: every failure the SDK reports, never a bare Error or an unhandled rejection.
 * `code` is the server's (SPEC §4.3, §5.2, §11) or one of the SDK's own: network_error,
 * invalid_state, popup_blocked, popup_closed, timeout, access_denied, not_connected.
 * `status` is the HTTP status, 0 when there was none.
 */
var REAUTH = ["invalid_token", "invalid_grant", "not_connected"];

export class LegionError extends Error {
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
}

/** The error of a failed response, in the API's shape or OAuth's. */
export async function errorFrom(response) {
  var body = await response.json().catch(function () {
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

/** fetch, with a network failure as LegionError network_error. */
export async function send(url, init) {
  try {
    return await fetch(url, Object.assign({ credentials: "omit" }, init));
  } catch (e) {
    if (e && e.name === "AbortError") throw e;
    throw new LegionError("Can't reach Legion.", "network_error");
  }
}
