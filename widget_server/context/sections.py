"""The context a request gives the model (SPEC §15): sections appended to its first system
message, so that every provider sees one system message, as written.

``[User Preferences]`` (the account's AI preferences), ``[User Information]`` (the profile
fields that are set), ``[User Context]`` (the summary of the user's own questions) and
``[App Knowledge Base]`` (the app's document chunks found for the question), each only
when its flag allows it and it has something to say. The first three are read in the
hold's own transaction (``gateway/charging.py``), so they are current and cost no read
of their own; the knowledge base is searched before the hold (``knowledge/search.py``),
since the hold prices the prompt it becomes part of.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from ..gateway.request import ChatRequest
from .profile import profile_lines
from .signals import LANGUAGE_NAMES

PREFERENCES = "[User Preferences]"
INFORMATION = "[User Information]"
USER_CONTEXT = "[User Context]"
KNOWLEDGE = "[App Knowledge Base]"


def wants_context(request: ChatRequest) -> bool:
    """Whether any context may be looked up at all: with every flag off and no
    ``context_ids``, the request gets none and nothing is read for it."""
    return (
        request.user_preferences
        or request.user_information
        or request.user_context
        or bool(request.context_ids)
    )


def user_sections(request: ChatRequest, row: Mapping) -> str:
    """The user's sections, from the hold's row (``preferences``, the profile columns and
    the ``summary`` JSON), as the request's flags allow."""
    sections = []
    if request.user_preferences and (row["preferences"] or "").strip():
        sections.append(f"{PREFERENCES}\n{row['preferences'].strip()}")
    if request.user_information:
        lines = profile_lines(row)
        if lines:
            sections.append(INFORMATION + "\n" + "\n".join(lines))
    if request.user_context and row["summary"]:
        lines = summary_lines(json.loads(row["summary"]))
        if lines:
            sections.append(USER_CONTEXT + "\n" + "\n".join(lines))
    return "\n\n".join(sections)


def summary_lines(summary: Mapping) -> list[str]:
    """The summary of the user's questions, as the model (and ``/account``) reads it."""
    lines = []
    if summary.get("topics"):
        lines.append("Recent topics: " + ", ".join(summary["topics"]))
    if summary.get("intents"):
        shares = ", ".join(f"{name} {pct}%" for name, pct in summary["intents"].items())
        lines.append("Intents: " + shares)
    language = summary.get("language")
    if language:
        lines.append("Primary language: " + LANGUAGE_NAMES.get(language, language))
    if summary.get("questions"):
        lines.append(f"Average question length: {summary['average_chars']} characters")
        lines.append(f"Questions in the last 90 days: {summary['questions']}")
    return lines


def join_sections(*sections: str) -> str:
    return "\n\n".join(section for section in sections if section)


def with_context(messages: list[dict], context: str) -> list[dict]:
    """The messages with ``context`` appended to the first system (or developer) message,
    after its text; or, when there is none, a system message of its own at the start.
    The request's own messages are not changed in place."""
    if not context:
        return messages
    for index, message in enumerate(messages):
        if message["role"] in ("system", "developer"):
            joined = {**message, "content": _appended(message.get("content"), context)}
            return [*messages[:index], joined, *messages[index + 1 :]]
    return [{"role": "system", "content": context}, *messages]


def _appended(content, context: str):
    if isinstance(content, list):  # text parts
        return [*content, {"type": "text", "text": "\n\n" + context}]
    text = (content or "").rstrip()
    return f"{text}\n\n{context}" if text else context
