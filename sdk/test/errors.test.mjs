import assert from "node:assert/strict";
import { test } from "node:test";

import { LegionError, errorFrom, send } from "../src/errors.js";

function response(status, body) {
  return new Response(typeof body === "string" ? body : JSON.stringify(body), { status });
}

test("each helper answers for its kind of failure", () => {
  const reauth = new LegionError("gone", "invalid_token", 401);
  assert.equal(reauth.requiresReauth(), true);
  assert.equal(reauth.isDeactivated(), false);
  assert.equal(reauth.isBillingError(), false);
  assert.equal(new LegionError("refused", "invalid_grant", 400).requiresReauth(), true);
  const paused = new LegionError("paused", "connection_inactive", 403);
  assert.equal(paused.isDeactivated(), true);
  assert.equal(paused.requiresReauth(), false);
  for (const code of ["insufficient_funds", "limit_exceeded"]) {
    const billing = new LegionError("pay", code, 402);
    assert.equal(billing.isBillingError(), true);
    assert.equal(billing.requiresReauth(), false);
  }
  const network = new LegionError("down", "network_error");
  assert.deepEqual([network.requiresReauth(), network.isDeactivated(), network.isBillingError()], [false, false, false]);
  assert.ok(network instanceof Error);
  assert.equal(network.name, "LegionError");
  assert.equal(network.status, 0);
});

test("errors come from both of the server's shapes", async () => {
  const api = await errorFrom(
    response(402, { error: { message: "No money", type: "insufficient_quota", code: "insufficient_funds" } })
  );
  assert.deepEqual([api.code, api.status, api.message], ["insufficient_funds", 402, "No money"]);
  const oauth = await errorFrom(response(400, { error: "invalid_grant", error_description: "Used" }));
  assert.deepEqual([oauth.code, oauth.status, oauth.message], ["invalid_grant", 400, "Used"]);
  const html = await errorFrom(response(502, "<html>Bad gateway</html>"));
  assert.deepEqual([html.code, html.status], ["http_502", 502]);
});

test("a network failure is a LegionError, not a TypeError", async () => {
  const real = globalThis.fetch;
  globalThis.fetch = async () => {
    throw new TypeError("Failed to fetch");
  };
  try {
    await assert.rejects(send("http://legion.invalid/x", {}), (error) => {
      return error instanceof LegionError && error.code === "network_error";
    });
  } finally {
    globalThis.fetch = real;
  }
});
