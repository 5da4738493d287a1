"""The dashboard's app form: what the developer typed, kept as typed, checked field by field.

Every field is checked with the registry's own rules before anything is written, so a
refused form names each field that is wrong (the registry checks them again when it
writes, and what it refuses then is shown as a message for the whole form).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields, replace

from ..apps import registry
from ..apps.redirect_uris import normalize_redirect_uris
from ..errors import ValidationError

FIELDS = (
    "name",
    "type",
    "redirect_uris",
    "margin",
    "default_model",
    "description",
    "system_prompt",
)
TYPE_LABELS = {"web": "Web", "wordpress": "WordPress", "drupal": "Drupal", "chat": "Chat"}
_URI_SEPARATORS = re.compile(r"[\s,]+")  # neither may appear inside a redirect URI


@dataclass(frozen=True)
class AppForm:
    name: str = ""
    type: str = "web"
    redirect_uris: str = ""  # one per line (or comma-separated), as typed
    margin: str = ""
    default_model: str = ""
    description: str = ""
    system_prompt: str = ""

    @classmethod
    def blank(cls, app_type: str = "web") -> AppForm:
        return cls(type=app_type, margin=str(registry.DEFAULT_MARGIN_BP // 100))

    @classmethod
    def of_app(cls, app: registry.App) -> AppForm:
        """An app as its edit form shows it. A chat app's own page is not in the list:
        it is shown apart and always kept first."""
        uris = app.redirect_uris[1:] if app.type == "chat" else app.redirect_uris
        return cls(
            name=app.name,
            type=app.type,
            redirect_uris="\n".join(uris),
            margin=str(app.margin_pct),
            default_model=app.default_model or "",
            description=app.description,
            system_prompt=app.system_prompt,
        )

    def updated_by(self, submitted, *, fixed: tuple[str, ...] = ()) -> AppForm:
        """These values with the submitted ones; a field the form did not send stays, as
        do the ``fixed`` ones. Browsers send textareas with CRLF line ends, kept as LF."""
        changes = {}
        for field in fields(self):
            value = None if field.name in fixed else submitted.get(field.name)
            if value is not None:
                changes[field.name] = value.replace("\r\n", "\n").replace("\r", "\n")
        return replace(self, **changes)

    def uri_list(self) -> list[str]:
        return [uri for uri in _URI_SEPARATORS.split(self.redirect_uris) if uri]

    def problems(self, *, creating: bool) -> dict[str, str]:
        """Each field's mistake, by field name; empty when the form can be saved."""
        found: dict[str, str] = {}

        def check(name: str, rule) -> None:
            try:
                rule()
            except ValidationError as error:
                found[name] = sentence(error.message)

        check("name", lambda: registry.validate_name(self.name))
        if creating:
            check("type", lambda: registry.validate_type(self.type))
        if self.uri_list() or self.type != "chat":
            check("redirect_uris", lambda: normalize_redirect_uris(self.uri_list()))
        if self.margin.strip() or not creating:
            check("margin", lambda: registry.parse_margin(self.margin))
        check("default_model", lambda: registry.validate_model_name(self.default_model))
        check("description", lambda: registry.validate_description(self.description))
        check("system_prompt", lambda: registry.validate_system_prompt(self.system_prompt))
        return found

    @property
    def margin_or_default(self) -> str | None:
        return self.margin.strip() or None


def sentence(message: str) -> str:
    """A registry message (``"an app needs a name"``) as a sentence for a page."""
    message = message.strip()
    if not message:
        return message
    message = message[0].upper() + message[1:]
    return message if message.endswith((".", "!", "?")) else message + "."
