"""The bodies ``/v1/apps`` accepts and the objects it answers with (SPEC §14).

One msgspec type per body: it refuses unknown fields and wrong types with a 400 naming the
field (``conversations.schemas.decode``), and describes the route in ``/openapi.json``.
The rules on values (redirect URIs per §4.1, name and text lengths, margin, the model
catalog) stay where the dashboard and ``widget-server`` use them: ``apps/registry.py``.
The answers are typed as well, so the description can't drift from what is sent.
"""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec
from msgspec import UNSET, Meta, Struct, UnsetType

from ..apps.registry import APP_TYPES, MAX_MARGIN_PCT

AppType = Literal["web", "wordpress", "drupal", "chat"]
assert set(AppType.__args__) == set(APP_TYPES)  # one list of types
Margin = Annotated[float, Meta(ge=0, le=float(MAX_MARGIN_PCT), description="percent")]
Uris = Annotated[list[str], Meta(max_length=100)]


class _Body(Struct, forbid_unknown_fields=True, omit_defaults=True, kw_only=True):
    """A request body: unknown fields are refused."""


class NewApp(_Body):
    """``POST /v1/apps``. ``redirect_uris`` may be empty for a ``chat`` app, whose own
    page ``<server>/chat/<client_id>`` is added first."""

    name: str
    redirect_uris: Uris = []
    type: AppType = "web"
    margin: Margin | None = None
    default_model: str | None = None
    description: str | None = None
    system_prompt: str | None = None


class AppChanges(_Body):
    """``PATCH /v1/apps/{client_id}``: only the fields given change; ``default_model``
    null (or empty) clears it, as an empty description or system prompt does."""

    name: str | UnsetType = UNSET
    redirect_uris: Uris | UnsetType = UNSET
    margin: Margin | UnsetType = UNSET
    default_model: str | UnsetType | None = UNSET
    description: str | UnsetType | None = UNSET
    system_prompt: str | UnsetType | None = UNSET


class AppOut(Struct, kw_only=True):
    """An app as its owner sees it (the §1 ``list-apps --json`` fields)."""

    client_id: str
    name: str
    type: str
    redirect_uris: list[str]
    margin: float
    default_model: str | None
    description: str
    system_prompt: str
    owner_user_id: int | None
    created_at: str


class AppWithSecret(AppOut, kw_only=True):
    """At creation and rotation only: the client secret, shown this once."""

    client_secret: str


class AppList(Struct, kw_only=True):
    object: Literal["list"]
    data: list[AppOut]


class AppStatsOut(Struct, kw_only=True):
    """The §1 ``app-stats`` numbers; money in integer micro-dollars."""

    client_id: str
    users: int
    connected_users: int
    requests: int
    prompt_tokens: int
    completion_tokens: int
    spend_micros: int
    provider_cost_micros: int
    margin_micros: int
    developer_earnings_micros: int
    platform_micros: int


class TransactionOut(Struct, kw_only=True):
    """A ledger row (the §1 ``transactions`` fields): ``total = provider_cost + margin``,
    ``margin = developer_earning + platform``. Users are shown by id only."""

    id: int
    created_at: str
    user_id: int
    client_id: str
    model: str
    prompt_tokens: int
    completion_tokens: int
    provider_cost_micros: int
    margin_micros: int
    developer_earning_micros: int
    platform_micros: int
    total_micros: int


class TransactionPage(Struct, kw_only=True):
    """Newest first; pass ``next_cursor`` as ``cursor`` for the page after."""

    object: Literal["list"]
    data: list[TransactionOut]
    has_more: bool
    next_cursor: str | None


class TokenInfo(Struct, kw_only=True):
    kind: Literal["developer_token", "oauth"]
    name: str | None
    expires_at: str | None


class Me(Struct, kw_only=True):
    id: int
    email: str
    token: TokenInfo


BODY_TYPES = (NewApp, AppChanges)
ANSWER_TYPES = (AppOut, AppWithSecret, AppList, AppStatsOut, TransactionPage, Me)


def app_out(app, secret: str | None = None) -> AppOut:
    fields = app.public_dict()
    if secret is not None:
        return AppWithSecret(**fields, client_secret=secret)
    return AppOut(**fields)


def transaction_out(row) -> TransactionOut:
    fields = row.public_dict()
    fields.pop("user_email", None)  # the developer sees ids, as on /developer
    return TransactionOut(**fields)


def openapi_components() -> dict:
    _, components = msgspec.json.schema_components(
        BODY_TYPES + ANSWER_TYPES, ref_template="#/components/schemas/{name}"
    )
    return components
