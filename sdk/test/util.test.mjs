import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { test } from "node:test";

import { authorizeUrl, codeOf } from "../src/oauth.js";
import { base64url, pkceChallenge, randomToken, trimSlash } from "../src/util.js";

test("the S256 challenge is base64url(SHA-256(verifier)) without padding", async () => {
  for (const verifier of [randomToken(), randomToken(), "a".repeat(128)]) {
    const expected = createHash("sha256").update(verifier).digest("base64url");
    assert.equal(await pkceChallenge(verifier), expected);
  }
});

test("random tokens carry 256 bits, URL-safe", () => {
  const token = randomToken();
  assert.match(token, /^[A-Za-z0-9_-]{43}$/);
  assert.notEqual(token, randomToken());
  assert.equal(base64url(new Uint8Array([251, 255])), "-_8");
});

test("the authorization URL asks for a code with PKCE", () => {
  const url = new URL(authorizeUrl("https://legion.example", "lgn_1", "https://site.example/cb", "st", "ch"));
  assert.equal(url.origin + url.pathname, "https://legion.example/connect");
  assert.deepEqual(Object.fromEntries(url.searchParams), {
    response_type: "code",
    client_id: "lgn_1",
    redirect_uri: "https://site.example/cb",
    scope: "chat:completions",
    state: "st",
    code_challenge: "ch",
    code_challenge_method: "S256",
  });
  assert.equal(trimSlash("https://a.example//"), "https://a.example");
});

test("an answer counts only from this server (RFC 9207)", () => {
  assert.equal(codeOf({ iss: "https://legion.example/", code: "c" }, "https://legion.example"), "c");
  assert.throws(() => codeOf({ iss: "https://evil.example", code: "c" }, "https://legion.example"), {
    code: "invalid_state",
  });
  assert.throws(() => codeOf({ iss: "https://legion.example", error: "access_denied" }, "https://legion.example"), {
    code: "access_denied",
  });
});
