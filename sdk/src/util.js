/** Small helpers: random tokens, PKCE (RFC 7636 S256), URLs, waiting. */

export function base64url(bytes) {
  var text = "";
  for (var i = 0; i < bytes.length; i++) text += String.fromCharCode(bytes[i]);
  return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** 32 random bytes: 256 bits, for states and PKCE verifiers. */
export function randomToken(size) {
  return base64url(crypto.getRandomValues(new Uint8Array(size || 32)));
}

export async function pkceChallenge(verifier) {
  var digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier));
  return base64url(new Uint8Array(digest));
}

export function trimSlash(url) {
  return String(url || "").replace(/\/+$/, "");
}

export function sleep(ms) {
  return new Promise(function (resolve) {
    setTimeout(resolve, ms);
  });
}
