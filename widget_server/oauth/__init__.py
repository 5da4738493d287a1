"""The OAuth 2 authorization server for public clients (SPEC §4).

- ``authorize``: validating ``/connect`` requests and building redirects back to the site;
- ``pkce`` and ``scopes``: the small rules;
- ``connections``: (user, app) pairs and their states;
- ``codes`` and ``tokens``: issuing and redeeming, rotation and reuse detection;
- ``cors``: which origins may call the browser-facing endpoints;
- ``views``: the HTTP endpoints.
"""
