/**
 * One app's tokens in this browser, and refreshing them: a refresh token is spent once, by
 * one tab, since a reused one revokes the whole grant (SPEC §4.3).
 *
 * The tab that spends a refresh token holds a lock named after it (navigator.locks, or a
 * lock record in localStorage), and keeps it a while after storing what the server
 * answered. Every other tab that needs that refresh waits for the lock while watching its
 * own copy of localStorage, and takes the new tokens when they show there: it gets the lock
 * only if nobody spent the token.
 */
import { LegionError } from "./errors.js";
import { refreshSession } from "./oauth.js";
import { PREFIX, keyFor, keysWith, read, write } from "./storage.js";
import { randomToken, sleep } from "./util.js";

// Chromium updates each tab's copy of localStorage by a message of its own, some time after
// the write: the spender keeps the lock this long, which costs no one any time.
var SPENT_HOLD_MS = 10000;
// How long a claim waits before it looks at the others: longer than a write takes to reach
// another tab's copy of localStorage on a busy machine.
var CLAIM_SETTLE_MS = 250;

export function tokenStore(server, clientId, storage) {
  var key = keyFor(server, clientId, "tokens");
  var store = storage || "localStorage";
  var refreshing = null;

  function get() {
    return read(store, key);
  }

  function set(session) {
    write(store, key, session);
  }

  /** New tokens for a stale access token, or the ones another tab got meanwhile. */
  function refresh(staleAccessToken, onFresh) {
    if (!refreshing) {
      refreshing = refreshOnce(staleAccessToken, onFresh).finally(function () {
        refreshing = null;
      });
    }
    return refreshing;
  }

  function refreshOnce(staleAccessToken, onFresh) {
    return new Promise(function (resolve, reject) {
      var current = get();
      if (!current) return reject(new LegionError("Not connected.", "not_connected", 401));
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
        var now = get();
        if (now && now.refresh_token === spent) return false;
        done(now ? null : new LegionError("Not connected.", "not_connected", 401), now);
        return true;
      }
      var lock = PREFIX + "refresh:" + key + ":" + spent.slice(-16);
      exclusive(lock, store, waiting.signal, async function () {
        clearInterval(watch);
        if (replaced()) return;
        var fresh;
        try {
          fresh = await refreshSession(server, clientId, spent);
        } catch (error) {
          // Not refused, only not answered now (offline, throttled, a server error): the
          // token is perhaps unspent, so it is kept for a later try. Only a refusal
          // (400/401/403) ends the connection.
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
      }).catch(done); // aborted after done (a no-op), or no usable lock
    });
  }

  return { key: key, get: get, set: set, refresh: refresh };
}

/**
 * Runs fn while no other tab of this site runs it for the same name; gives up waiting
 * (fn never runs) once signal is aborted.
 *
 * Without navigator.locks, each contender writes a claim of its own (when it claimed, and
 * a random id) and, after CLAIM_SETTLE_MS, runs fn only if its claim is the first of the
 * live claims it can see. Every tab orders the same claims the same way, so two tabs that
 * claim at once agree on one winner however late each sees the other's write (a single
 * shared record, last writer wins, could end with each tab seeing the other as owner, or
 * both as owner). A tab that claims later waits for the first to finish.
 */
export async function exclusive(name, store, signal, fn) {
  if (navigator.locks && navigator.locks.request) {
    return navigator.locks.request(name, { signal: signal }, fn);
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

/** The earliest live claim under prefix (ties broken by id), or null. */
function firstClaim(store, prefix) {
  var first = null;
  keysWith(store, prefix).forEach(function (key) {
    var claim = read(store, key);
    if (!claim || !(claim.until > Date.now())) return;
    var candidate = { since: claim.since, id: key.slice(prefix.length) };
    if (!first || candidate.since < first.since || (candidate.since === first.since && candidate.id < first.id)) {
      first = candidate;
    }
  });
  return first;
}
