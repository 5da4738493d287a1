"""The OpenAPI 3.1 description of the JSON endpoints, served at ``/openapi.json``.

Written out rather than generated: the OAuth endpoints take two body encodings and the
chat endpoint streams, which generators describe poorly. A test checks that every JSON
route of the app is described here.
"""

from __future__ import annotations

from .. import __version__
from ..conversations.openapi import conversation_paths, conversation_schemas
from ..devapi.openapi import developer_paths, developer_schemas
from ..knowledge.openapi import knowledge_paths, knowledge_schemas


def _error(description: str, schema: str) -> dict:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}},
    }


def _oauth_body(schema: str) -> dict:
    ref = {"$ref": f"#/components/schemas/{schema}"}
    return {
        "required": True,
        "content": {
            "application/x-www-form-urlencoded": {"schema": ref},
            "application/json": {"schema": ref},
        },
    }


_STRING = {"type": "string"}
_INT = {"type": "integer"}


def openapi_document(server_url: str) -> dict:
    oauth_errors = {
        "400": _error("invalid_request, invalid_grant or unsupported_grant_type", "OAuthError"),
        "401": _error("invalid_client", "OAuthError"),
        "403": _error("the request's Origin is not allowed for this client", "OAuthError"),
        "429": _error("too many requests from this address", "OAuthError"),
    }
    api_errors = {
        status: _error(text, "ApiError")
        for status, text in {
            "400": "invalid_request",
            "401": "invalid_token",
            "402": "insufficient_funds or limit_exceeded",
            "403": "connection_inactive or origin_not_allowed",
            "404": "model_not_found",
            "429": "rate_limited (with Retry-After)",
            "502": "upstream_error",
            "503": "upstream_overloaded (with Retry-After)",
            "504": "upstream_timeout",
        }.items()
    }
    conversation_errors = {
        **api_errors,
        "404": _error("not_found or model_not_found", "ApiError"),
        "409": _error("conflict or idempotency_conflict", "ApiError"),
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Legion widget server",
            "version": __version__,
            "description": "OAuth 2 for public clients, an OpenAI-compatible chat API, "
            "conversations kept on the server, and the developer API for managing apps.",
        },
        "servers": [{"url": server_url}],
        "paths": {
            "/v1/oauth/token": {
                "post": {
                    "summary": "Exchange a code (PKCE) or rotate a refresh token",
                    "requestBody": _oauth_body("TokenRequest"),
                    "responses": {
                        "200": {
                            "description": "A new token pair (Cache-Control: no-store)",
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": "#/components/schemas/TokenResponse"}
                                }
                            },
                        },
                        **oauth_errors,
                    },
                }
            },
            "/v1/oauth/revoke": {
                "post": {
                    "summary": "Revoke an access or refresh token (RFC 7009)",
                    "requestBody": _oauth_body("RevokeRequest"),
                    "responses": {
                        "200": {"description": "Revoked, or unknown (always 200)"},
                        "400": oauth_errors["400"],
                        "403": oauth_errors["403"],
                    },
                }
            },
            "/.well-known/oauth-authorization-server": {
                "get": {
                    "summary": "Authorization server metadata (RFC 8414)",
                    "responses": {"200": {"description": "The metadata document"}},
                }
            },
            "/v1/models": {
                "get": {
                    "summary": "Models whose provider is configured",
                    "responses": {
                        "200": {
                            "description": "OpenAI's model list",
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": "#/components/schemas/ModelList"}
                                }
                            },
                        }
                    },
                }
            },
            "/v1/chat/completions": {
                "post": {
                    "summary": "OpenAI-compatible chat completion, optionally streamed (SSE)",
                    "security": [{"bearer": []}],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {"$ref": "#/components/schemas/ChatRequest"}
                            }
                        },
                    },
                    "responses": {
                        "200": {
                            "description": "A chat.completion, or text/event-stream of "
                            "chat.completion.chunk ending with data: [DONE]",
                            "content": {
                                "application/json": {"schema": {"type": "object"}},
                                "text/event-stream": {"schema": _STRING},
                            },
                        },
                        **api_errors,
                    },
                }
            },
            "/healthz": {
                "get": {"summary": "Liveness", "responses": {"200": {"description": "ok"}}}
            },
            **conversation_paths(conversation_errors),
            **developer_paths(_error),
            **knowledge_paths(_error),
        },
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                **conversation_schemas(),
                **developer_schemas(),
                **knowledge_schemas(),
                "OAuthError": {
                    "type": "object",
                    "required": ["error", "error_description"],
                    "properties": {"error": _STRING, "error_description": _STRING},
                },
                "ApiError": {
                    "type": "object",
                    "required": ["error"],
                    "properties": {
                        "error": {
                            "type": "object",
                            "required": ["message", "type", "code"],
                            "properties": {
                                "message": _STRING,
                                "type": _STRING,
                                "code": _STRING,
                                "param": {"type": ["string", "null"]},
                            },
                        }
                    },
                },
                "TokenRequest": {
                    "type": "object",
                    "required": ["grant_type"],
                    "properties": {
                        "grant_type": {"enum": ["authorization_code", "refresh_token"]},
                        "code": _STRING,
                        "code_verifier": _STRING,
                        "redirect_uri": _STRING,
                        "client_id": _STRING,
                        "client_secret": _STRING,
                        "refresh_token": _STRING,
                    },
                },
                "TokenResponse": {
                    "type": "object",
                    "required": [
                        "access_token",
                        "refresh_token",
                        "token_type",
                        "expires_in",
                        "scope",
                    ],
                    "properties": {
                        "access_token": _STRING,
                        "refresh_token": _STRING,
                        "token_type": {"const": "Bearer"},
                        "expires_in": _INT,
                        "scope": _STRING,
                    },
                },
                "RevokeRequest": {
                    "type": "object",
                    "required": ["token"],
                    "properties": {
                        "token": _STRING,
                        "token_type_hint": {"enum": ["access_token", "refresh_token"]},
                        "client_id": _STRING,
                    },
                },
                "ModelList": {
                    "type": "object",
                    "properties": {
                        "object": {"const": "list"},
                        "data": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "properties": {
                                    "id": _STRING,
                                    "object": {"const": "model"},
                                    "created": _INT,
                                    "owned_by": _STRING,
                                },
                            },
                        },
                    },
                },
                "ChatRequest": {
                    "type": "object",
                    "required": ["messages"],
                    "properties": {
                        "model": _STRING,
                        "messages": {"type": "array", "items": {"type": "object"}},
                        "stream": {"type": "boolean"},
                        "stream_options": {
                            "type": "object",
                            "properties": {"include_usage": {"type": "boolean"}},
                        },
                        "max_tokens": _INT,
                        "max_completion_tokens": _INT,
                        "temperature": {"type": "number"},
                        "user_preferences": {"type": "boolean", "default": True},
                        "user_information": {"type": "boolean", "default": True},
                        "user_context": {"type": "boolean", "default": True},
                        "context_ids": {"type": "array", "items": _STRING},
                    },
                },
            },
        },
    }
