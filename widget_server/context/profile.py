"""The profile a user may fill in on ``/account`` (SPEC §15 "user_information"): age, sex,
language, location, occupation, industry. Every field is optional; an empty one is
stored as NULL and left out of the context."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import select, update

from ..errors import ValidationError
from ..storage import Database
from ..storage.schema import users

MIN_AGE, MAX_AGE = 1, 130


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    max_chars: int  # 0 for the age, a number


FIELDS = (
    Field("age", "Age", 0),
    Field("sex", "Sex", 40),
    Field("language", "Language", 60),
    Field("location", "Location", 120),
    Field("occupation", "Occupation", 120),
    Field("industry", "Industry", 120),
)
COLUMNS = tuple(users.c[field.name] for field in FIELDS)


def clean_profile(form: Mapping[str, str]) -> tuple[dict, dict[str, str]]:
    """The values to store (None for empty) and the problems, by field name."""
    values: dict = {}
    problems: dict[str, str] = {}
    for field in FIELDS:
        raw = " ".join(str(form.get(field.name) or "").replace("\x00", "").split())
        if not raw:
            values[field.name] = None
        elif field.name == "age":
            if not raw.isdigit() or not MIN_AGE <= int(raw) <= MAX_AGE:
                problems[field.name] = f"Age must be a whole number from {MIN_AGE} to {MAX_AGE}."
            else:
                values[field.name] = int(raw)
        elif len(raw) > field.max_chars:
            problems[field.name] = f"{field.label} must be at most {field.max_chars} characters."
        else:
            values[field.name] = raw
    return values, problems


async def get_profile(db: Database, user_id: int) -> dict:
    async with db.read() as conn:
        row = (await conn.execute(select(*COLUMNS).where(users.c.id == user_id))).first()
    return dict(row._mapping) if row else {field.name: None for field in FIELDS}


async def save_profile(db: Database, user_id: int, form: Mapping[str, str]) -> dict:
    """Store the profile; raises :class:`ProfileError` (nothing stored) on a bad field."""
    values, problems = clean_profile(form)
    if problems:
        raise ProfileError(problems)
    async with db.transaction() as conn:
        await conn.execute(update(users).where(users.c.id == user_id).values(**values))
    return values


class ProfileError(ValidationError):
    def __init__(self, problems: dict[str, str]) -> None:
        super().__init__(" ".join(problems.values()))
        self.problems = problems


def profile_lines(row: Mapping) -> list[str]:
    """``Label: value`` for each field that is set, in the form's order."""
    return [
        f"{field.label}: {row[field.name]}" for field in FIELDS if row.get(field.name) is not None
    ]
