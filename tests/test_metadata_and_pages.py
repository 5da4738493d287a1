"""Discovery documents and what every page promises: metadata, OpenAPI, headers, errors."""

from __future__ import annotations

import inspect
import re
import socket
import time

import httpx
import pytest


def test_authorization_server_metadata(server):
    meta = httpx.get(f"{server.url}/.well-known/oauth-authorization-server").json()
    assert meta["issuer"] == server.url
    assert meta["authorization_endpoint"] == f"{server.url}/connect"
    assert meta["token_endpoint"] == f"{server.url}/v1/oauth/token"
    assert meta["revocation_endpoint"] == f"{server.url}/v1/oauth/revoke"
    assert meta["code_challenge_methods_supported"] == ["S256"]
    assert meta["response_types_supported"] == ["code"]
    assert set(meta["grant_types_supported"]) == {"authorization_code", "refresh_token"}
    assert "chat:completions" in meta["scopes_supported"]
    assert "none" in meta["token_endpoint_auth_methods_supported"]
    assert meta["authorization_response_iss_parameter_supported"] is True


def test_metadata_works_with_authlib_discovery(server):
    from authlib.oauth2.rfc8414 import AuthorizationServerMetadata

    meta = AuthorizationServerMetadata(
        httpx.get(f"{server.url}/.well-known/oauth-authorization-server").json()
    )
    meta.validate()


def test_openapi_describes_the_json_endpoints(server):
    document = httpx.get(f"{server.url}/openapi.json").json()
    assert document["openapi"].startswith("3.")
    for path in ("/v1/oauth/token", "/v1/oauth/revoke", "/v1/models", "/v1/chat/completions"):
        assert path in document["paths"], path
    token = document["paths"]["/v1/oauth/token"]["post"]
    assert set(token["requestBody"]["content"]) == {
        "application/x-www-form-urlencoded",
        "application/json",
    }
    assert "TokenResponse" in document["components"]["schemas"]


def test_openapi_describes_every_conversation_route_with_its_schema(server):
    """SPEC §11's routes, each body described by the type that validates it."""
    document = httpx.get(f"{server.url}/openapi.json").json()
    base = "/v1/chat/{client_id}"
    conversation = base + "/conversations/{conversation_id}"
    message = conversation + "/messages/{message_id}"
    expected = {
        (base + "/info", "get"),
        (base + "/conversations", "post"),
        (base + "/conversations", "get"),
        (base + "/conversations", "delete"),
        (base + "/conversations/stream", "post"),
        (conversation, "get"),
        (conversation, "patch"),
        (conversation, "delete"),
        (conversation + "/messages", "get"),
        (conversation + "/messages", "post"),
        (conversation + "/messages/stream", "post"),
        (message, "get"),
        (message, "patch"),
        (message, "delete"),
        (message + "/feedback", "put"),
        (message + "/regenerate", "post"),
        (message + "/stop", "post"),
        (message + "/events", "get"),
        (base + "/export", "get"),
        (base + "/search", "get"),
        (base + "/messages", "post"),
    }
    described = {(path, method) for path, ops in document["paths"].items() for method in ops}
    assert expected <= described
    schemas = document["components"]["schemas"]
    ask = schemas["AskOrSave"]
    assert ask["additionalProperties"] is False
    assert ask["properties"]["content"]["maxLength"] == 100_000
    for path, method in expected:
        body = document["paths"][path][method].get("requestBody")
        if body:
            ref = body["content"]["application/json"]["schema"]["$ref"]
            assert ref.split("/")[-1] in schemas


@pytest.mark.parametrize("path", ["/", "/login", "/register"])
def test_pages_have_strict_headers_and_no_coop(server, path):
    response = httpx.get(f"{server.url}{path}")
    assert response.status_code == 200
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp
    assert "script-src" not in csp  # our pages run no script
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert "Cross-Origin-Opener-Policy" not in response.headers


def test_unknown_pages_are_html_404s_and_unknown_api_paths_json(server):
    page = httpx.get(f"{server.url}/no-such-page")
    assert page.status_code == 404
    assert page.headers["Content-Type"].startswith("text/html")
    api = httpx.get(f"{server.url}/v1/no-such-endpoint")
    assert api.status_code == 404
    assert api.json()["error"]["code"] == "not_found"
    oauth = httpx.get(f"{server.url}/v1/oauth/nothing")
    assert oauth.status_code == 404
    assert oauth.json()["error"] == "invalid_request"


def test_oversized_form_is_refused_not_crashed(server):
    response = httpx.post(
        f"{server.url}/login",
        content=b"email=" + b"a" * (3 * 1024 * 1024),
        headers={"Content-Type": "application/x-www-form-urlencoded", "Origin": server.url},
    )
    assert response.status_code == 413


def test_static_stylesheet_is_served(server):
    response = httpx.get(f"{server.url}/static/legion.css")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/css")


def test_every_hook_and_view_is_a_coroutine_function(tmp_path):
    """Quart runs a plain function hook or view on a thread of its executor: a hand-off
    there and back on every request it applies to (a plain after-request hook cost the
    chat endpoint more than half a millisecond per call, issue 14)."""
    from widget_server.app import create_app
    from widget_server.config import Config

    database_url = f"sqlite:///{tmp_path / 'hooks.db'}"
    app = create_app(Config.from_env({"LEGION_DATABASE_URL": database_url}))
    hooks = [(f"view {name}", view) for name, view in app.view_functions.items()]
    for kind in (
        "before_request_funcs",
        "after_request_funcs",
        "teardown_request_funcs",
        "teardown_appcontext_funcs",
        "url_value_preprocessors",
        "template_context_processors",
    ):
        registered = getattr(app, kind)
        scopes = registered.items() if isinstance(registered, dict) else [(None, registered)]
        for scope, functions in scopes:
            hooks += [(f"{kind} {scope}", function) for function in functions]
    for scope, by_code in app.error_handler_spec.items():
        for handlers in by_code.values():
            hooks += [(f"error handler {scope}", handler) for handler in handlers.values()]
    assert len(hooks) > 50
    plain = [
        f"{where}: {function.__qualname__}"
        for where, function in hooks
        if not inspect.iscoroutinefunction(function)
    ]
    assert plain == []


def _read_answer(sock: socket.socket) -> bytes:
    """One HTTP/1.1 answer with a Content-Length body, or what came before the close."""
    received = b""
    while b"\r\n\r\n" not in received:
        chunk = sock.recv(65536)
        if not chunk:
            return received
        received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    length = int(re.search(rb"(?i)content-length: *(\d+)", head)[1])
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        body += chunk
    return head + b"\r\n\r\n" + body


def test_an_early_error_answer_keeps_the_connection_usable(server):
    """A 401 is decided before the body is read. The connection must still carry the
    client's next request: hypercorn closes it when an answer ends before the body was
    read, and a client that already had its answer lost the next one (seen once in CI)."""
    url = httpx.URL(server.url)
    body = b'{"messages": [{"role": "user", "content": "hi"}]}'
    head = (
        b"POST /v1/chat/completions HTTP/1.1\r\nHost: legion\r\n"
        b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body)
    )
    with socket.create_connection((url.host, url.port), timeout=10) as sock:
        sock.sendall(head)  # the body comes late: the 401 is known before it
        time.sleep(0.3)
        sock.sendall(body)
        first = _read_answer(sock)
        assert first.startswith(b"HTTP/1.1 401"), first
        sock.sendall(b"GET /v1/models HTTP/1.1\r\nHost: legion\r\n\r\n")
        second = _read_answer(sock)
        assert second.startswith(b"HTTP/1.1 200"), second
