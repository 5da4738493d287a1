"""The bodies the conversation endpoints accept and the objects they answer with (SPEC §11).

One msgspec type per body: it validates the request (an unknown field, a wrong type, a
string too long: a 400 naming the field) and, through :func:`openapi_components`, describes
the route in ``/openapi.json``. The answers are typed too, and encoded by msgspec.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, TypeVar

import msgspec
from msgspec import UNSET, Meta, Struct, UnsetType

from ..errors import ApiError

T = TypeVar("T")
MAX_CONTENT_CHARS = 100_000
MAX_TITLE_CHARS = 200
MAX_SAVED_MESSAGES = 100

Content = Annotated[str, Meta(min_length=1, max_length=MAX_CONTENT_CHARS)]
Title = Annotated[str, Meta(min_length=1, max_length=MAX_TITLE_CHARS)]
Temperature = Annotated[float, Meta(ge=0, le=2)]
MaxTokens = Annotated[int, Meta(ge=1, le=2**31 - 1)]
PublicId = Annotated[str, Meta(min_length=1, max_length=64)]
ModelName = Annotated[str, Meta(min_length=1, max_length=100)]


class _Body(Struct, forbid_unknown_fields=True, omit_defaults=True):
    """A request body: unknown fields are refused, as OpenAI refuses them."""


class GenerationOptions(_Body, kw_only=True):
    """What every ask and regeneration may say about the answer (§5.2's extra fields)."""

    model: ModelName | None = None
    temperature: Temperature | None = None
    max_tokens: MaxTokens | None = None
    stream: bool = False
    user_preferences: bool = True
    user_information: bool = True
    user_context: bool = True
    context_ids: list[Annotated[str, Meta(max_length=100)]] | None = None


class AskFields(GenerationOptions, kw_only=True):
    parent_id: PublicId | None = None
    generate_title: bool = True


class SavedMessage(_Body):
    role: Literal["user", "assistant"]
    content: Annotated[str, Meta(max_length=MAX_CONTENT_CHARS)]
    sources: list[Any] = []


class AskOrSave(AskFields, kw_only=True):
    """``POST .../conversations/{id}/messages``: an ask (``content``) or a save
    (``messages``), never both."""

    content: Content | UnsetType = UNSET
    messages: (
        Annotated[list[SavedMessage], Meta(min_length=1, max_length=MAX_SAVED_MESSAGES)] | UnsetType
    ) = UNSET


class Ask(AskFields, kw_only=True):
    """``POST .../conversations/{id}/messages/stream``."""

    content: Content


class CreateAndAsk(AskFields, kw_only=True):
    """``POST .../conversations/stream``: a new conversation and its first ask."""

    content: Content
    title: Title | None = None


class SeedAsk(AskFields, kw_only=True):
    """``POST /v1/chat/{client_id}/messages``: an ask in a conversation, or a new one."""

    content: Content
    conversation_id: PublicId | None = None


class Regenerate(GenerationOptions, kw_only=True):
    pass


class NewConversation(_Body, kw_only=True):
    title: Title | None = None


class ConversationChanges(_Body, kw_only=True):
    title: Title | UnsetType = UNSET
    archived: bool | UnsetType = UNSET
    current_message_id: PublicId | UnsetType = UNSET


class MessageEdit(_Body):
    content: Annotated[str, Meta(max_length=MAX_CONTENT_CHARS)]


class Feedback(_Body):
    rating: Literal["up", "down", "thumbsUp", "thumbsDown"]
    text: Annotated[str, Meta(max_length=10_000)] | None = None

    @property
    def normalized_rating(self) -> str:
        return {"thumbsUp": "up", "thumbsDown": "down"}.get(self.rating, self.rating)


# ---------------------------------------------------------------- answers


class Usage(Struct):
    prompt_tokens: int
    completion_tokens: int


class FeedbackOut(Struct):
    rating: str
    text: str | None


class MessageOut(Struct):
    id: str
    conversation_id: str
    parent_id: str | None
    role: str
    content: str
    status: str
    model: str | None
    usage: Usage | None
    cost_micros: int
    feedback: FeedbackOut | None
    sources: list[Any]
    created_at: str
    updated_at: str
    object: str = "message"


class ConversationOut(Struct):
    id: str
    title: str
    created_at: str
    updated_at: str
    archived: bool
    message_count: int
    current_message_id: str | None
    object: str = "conversation"


class ConversationWithMessages(ConversationOut, kw_only=True):
    messages: list[MessageOut]


class ConversationRef(Struct):
    id: str
    title: str


class SearchHit(Struct):
    message: MessageOut
    conversation: ConversationRef
    snippet: str


class AppInfo(Struct):
    client_id: str
    name: str
    description: str
    type: str
    has_system_prompt: bool


BODY_TYPES = (
    NewConversation,
    ConversationChanges,
    AskOrSave,
    Ask,
    CreateAndAsk,
    SeedAsk,
    Regenerate,
    MessageEdit,
    Feedback,
)
ANSWER_TYPES = (ConversationOut, ConversationWithMessages, MessageOut, SearchHit, AppInfo)


def decode(body: bytes, kind: type[T]) -> T:
    """The body as ``kind``, or the 400 that names what is wrong with it."""
    try:
        return msgspec.json.decode(body or b"{}", type=kind)
    except msgspec.ValidationError as error:
        raise _invalid(str(error)) from None
    except msgspec.DecodeError:
        raise ApiError(400, "invalid_request", "The request body is not valid JSON.") from None


def _invalid(detail: str) -> ApiError:
    """msgspec says ``Expected `str`, got `int` - at `$.title```: keep the words, name the
    field as ``param``."""
    message, _, where = detail.partition(" - at `$.")
    param = where.rstrip("`").split(".")[0].split("[")[0] or None
    if message.startswith("Object contains unknown field"):
        param = message.split("`")[1] if "`" in message else None
        message = f"Unrecognized request argument supplied: {param}"
    elif param:
        message = f"{param}: {message}"
    if message and not message.endswith("."):
        message += "."
    return ApiError(400, "invalid_request", message, param=param)


def encode(value: Any) -> bytes:
    return msgspec.json.encode(value)


def openapi_components() -> dict:
    """JSON Schemas of every body and answer, for ``/openapi.json``."""
    _, components = msgspec.json.schema_components(
        BODY_TYPES + ANSWER_TYPES, ref_template="#/components/schemas/{name}"
    )
    return components
