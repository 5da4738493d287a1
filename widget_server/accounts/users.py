"""Users: registration, credential checks, preferences."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from ..billing.wallet import create_wallet, credit_wallet
from ..clock import utcnow
from ..errors import NotFoundError, ValidationError
from ..security.passwords import hash_password, verify_password
from ..storage import Database
from ..storage.schema import users

MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 1024
MAX_PREFERENCES_LENGTH = 4000
# Form only, no network look-ups (SPEC §3): something@host.tld, no spaces.
_DOMAIN_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
_EMAIL = re.compile(rf"^[^@\s\x00-\x1f]{{1,64}}@{_DOMAIN_LABEL}(?:\.{_DOMAIN_LABEL})+$")


@dataclass(frozen=True)
class User:
    id: int
    email: str
    preferences: str
    created_at: datetime

    def public_dict(self) -> dict:
        return {"id": self.id, "email": self.email, "created_at": self.created_at.isoformat()}


def normalize_email(email: str) -> str:
    cleaned = (email or "").strip().lower()
    if len(cleaned) > 254 or not _EMAIL.fullmatch(cleaned):
        raise ValidationError(f"{email!r} is not a valid email address")
    return cleaned


def validate_password(password: str) -> str:
    if not isinstance(password, str) or len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationError(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise ValidationError(f"the password must have at most {MAX_PASSWORD_LENGTH} characters")
    return password


async def create_user(db: Database, *, email: str, password: str, credit_micros: int = 0) -> User:
    """Create a user with an empty (or credited) wallet; a taken email is a ValidationError."""
    email = normalize_email(email)
    password_hash = await hash_password(validate_password(password))
    now = utcnow()
    try:
        async with db.transaction() as conn:
            result = await conn.execute(
                insert(users)
                .values(email=email, password_hash=password_hash, preferences="", created_at=now)
                .returning(users.c.id)
            )
            user_id = result.scalar_one()
            await create_wallet(conn, user_id)
            if credit_micros:
                await credit_wallet(conn, user_id, credit_micros, note="initial credit")
    except IntegrityError:
        raise ValidationError(f"an account with the email {email} already exists") from None
    return User(id=user_id, email=email, preferences="", created_at=now)


async def authenticate(db: Database, email: str, password: str) -> User | None:
    """The user when email and password match, else None (in constant-ish time)."""
    try:
        email = normalize_email(email)
    except ValidationError:
        await verify_password(None, password or "")
        return None
    async with db.read() as conn:
        row = (await conn.execute(select(users).where(users.c.email == email))).mappings().first()
    ok = await verify_password(row["password_hash"] if row else None, password or "")
    return _user(row) if ok and row else None


async def get_user(db: Database, user_id: int) -> User | None:
    async with db.read() as conn:
        row = (await conn.execute(select(users).where(users.c.id == user_id))).mappings().first()
    return _user(row) if row else None


async def require_user_by_email(db: Database, email: str) -> User:
    email = normalize_email(email)
    async with db.read() as conn:
        row = (await conn.execute(select(users).where(users.c.email == email))).mappings().first()
    if row is None:
        raise NotFoundError(f"no user with the email {email}")
    return _user(row)


async def set_preferences(db: Database, user_id: int, preferences: str) -> None:
    text = (preferences or "").replace("\r\n", "\n").replace("\x00", "").strip()
    if len(text) > MAX_PREFERENCES_LENGTH:
        raise ValidationError(f"preferences must be at most {MAX_PREFERENCES_LENGTH} characters")
    async with db.transaction() as conn:
        await conn.execute(update(users).where(users.c.id == user_id).values(preferences=text))


def _user(row) -> User:
    return User(
        id=row["id"],
        email=row["email"],
        preferences=row["preferences"],
        created_at=row["created_at"],
    )
