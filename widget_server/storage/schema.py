"""The one schema, as SQLAlchemy Core tables, shared by SQLite and PostgreSQL.

Migrations in ``migrations/versions`` create exactly these tables; a test compares the two.
Secrets, codes and tokens are stored only as SHA-256 hex digests (``*_hash`` columns);
passwords as Argon2 hashes. Money is integer micro-dollars. Times are UTC.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes on both backends.

    SQLite has no time zones: values are stored as naive UTC and made aware again when read,
    so comparisons in SQL stay correct on both databases.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("email", String(320), nullable=False, unique=True),
    Column("password_hash", String(255), nullable=False),
    Column("preferences", Text, nullable=False, server_default=""),
    Column("created_at", UTCDateTime, nullable=False),
    # The profile on /account (SPEC §15 "user_information"): every field optional.
    Column("age", Integer, nullable=True),
    Column("sex", String(40), nullable=True),
    Column("language", String(60), nullable=True),
    Column("location", String(120), nullable=True),
    Column("occupation", String(120), nullable=True),
    Column("industry", String(120), nullable=True),
)

wallets = Table(
    "wallets",
    metadata,
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("balance_micros", BigInteger, nullable=False, server_default="0"),
    Column("reserved_micros", BigInteger, nullable=False, server_default="0"),
    Column("monthly_limit_micros", BigInteger, nullable=True),
    Column("spend_month", String(7), nullable=False, server_default=""),
    Column("month_spend_micros", BigInteger, nullable=False, server_default="0"),
    Column("updated_at", UTCDateTime, nullable=False),
    CheckConstraint("balance_micros >= 0", name="balance_not_negative"),
    CheckConstraint("reserved_micros >= 0", name="reserved_not_negative"),
)

wallet_credits = Table(
    "wallet_credits",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("amount_micros", BigInteger, nullable=False),
    Column("note", String(255), nullable=False, server_default=""),
    Column("created_at", UTCDateTime, nullable=False),
)

sessions = Table(
    "sessions",
    metadata,
    Column("id_hash", String(64), primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
)

login_failures = Table(
    "login_failures",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("key", String(400), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Index("ix_login_failures_key_created_at", "key", "created_at"),
)

apps = Table(
    "apps",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("client_id", String(64), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("type", String(16), nullable=False),
    Column("secret_hash", String(64), nullable=False),
    Column("margin_bp", Integer, nullable=False, server_default="5000"),
    Column("default_model", String(100), nullable=True),
    Column("owner_user_id", Integer, ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    # Plain text, shown escaped (SPEC §12); the system prompt is the maker's, first in
    # every conversation ask of the app (SPEC §11).
    Column("description", Text, nullable=False, server_default=""),
    Column("system_prompt", Text, nullable=False, server_default=""),
)

redirect_uris = Table(
    "redirect_uris",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("app_id", Integer, ForeignKey("apps.id", ondelete="CASCADE"), nullable=False),
    Column("position", Integer, nullable=False),
    Column("uri", String(2048), nullable=False),
    Column("origin", String(512), nullable=False),
    UniqueConstraint("app_id", "uri"),
    Index("ix_redirect_uris_origin", "origin"),
)

connections = Table(
    "connections",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("app_id", Integer, ForeignKey("apps.id", ondelete="CASCADE"), nullable=False),
    Column("status", String(16), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    CheckConstraint("status IN ('active', 'inactive', 'revoked')", name="status_known"),
    # At most one live (active or inactive) connection per user and app.
    Index(
        "uq_connections_live_user_app",
        "user_id",
        "app_id",
        unique=True,
        sqlite_where=text("status != 'revoked'"),
        postgresql_where=text("status != 'revoked'"),
    ),
)

grants = Table(
    "grants",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column(
        "connection_id", Integer, ForeignKey("connections.id", ondelete="CASCADE"), nullable=False
    ),
    Column("scope", String(200), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("revoked_at", UTCDateTime, nullable=True),
    Column("revoke_reason", String(64), nullable=True),
    # Whether the code was redeemed with the client secret: such a client is confidential,
    # and must authenticate to refresh too (RFC 6749 §6).
    Column("client_authenticated", Boolean, nullable=False, server_default=false()),
    Index("ix_grants_connection_id", "connection_id"),
)

authorization_codes = Table(
    "authorization_codes",
    metadata,
    Column("code_hash", String(64), primary_key=True),
    Column("app_id", Integer, ForeignKey("apps.id", ondelete="CASCADE"), nullable=False),
    Column(
        "connection_id", Integer, ForeignKey("connections.id", ondelete="CASCADE"), nullable=False
    ),
    Column("redirect_uri", String(2048), nullable=False),
    Column("code_challenge", String(128), nullable=True),
    Column("scope", String(200), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("consumed_at", UTCDateTime, nullable=True),
    Column("grant_id", Integer, ForeignKey("grants.id", ondelete="SET NULL"), nullable=True),
)

access_tokens = Table(
    "access_tokens",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("grant_id", Integer, ForeignKey("grants.id", ondelete="CASCADE"), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("revoked_at", UTCDateTime, nullable=True),
    Index("ix_access_tokens_grant_id", "grant_id"),
)

refresh_tokens = Table(
    "refresh_tokens",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("grant_id", Integer, ForeignKey("grants.id", ondelete="CASCADE"), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("used_at", UTCDateTime, nullable=True),
    Index("ix_refresh_tokens_grant_id", "grant_id"),
)

# Developer tokens made on /account (SPEC §14): they manage their owner's apps through
# /v1/apps and can't chat. Shown once; kept as a SHA-256 digest. A revoked one stays (so
# its refusal can say why) until the user is deleted.
developer_tokens = Table(
    "developer_tokens",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("name", String(100), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=True),  # null: until revoked
    Column("last_used_at", UTCDateTime, nullable=True),
    Column("revoked_at", UTCDateTime, nullable=True),
    Index("ix_developer_tokens_user_id", "user_id"),
)

# One row per running server process, its heartbeat kept fresh (storage/heartbeat.py):
# what a process holds is its own, and a process whose heartbeat stopped is dead.
server_processes = Table(
    "server_processes",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("host", String(255), nullable=False),
    Column("pid", Integer, nullable=False),
    Column("started_at", UTCDateTime, nullable=False),
    Column("heartbeat_at", UTCDateTime, nullable=False),
)

reservations = Table(
    "reservations",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("amount_micros", BigInteger, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    # The server process that holds it (no foreign key: a dead process's row goes first).
    Column("process_id", String(32), nullable=True),
    Index("ix_reservations_user_id", "user_id"),
    Index("ix_reservations_process_id", "process_id"),
)

transactions = Table(
    "transactions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    # Ledger rows outlive a deleted app: the id goes, the client id stays.
    Column("app_id", Integer, ForeignKey("apps.id", ondelete="SET NULL"), nullable=True),
    Column("client_id", String(64), nullable=False),
    Column("model", String(100), nullable=False),
    Column("prompt_tokens", Integer, nullable=False),
    Column("completion_tokens", Integer, nullable=False),
    Column("provider_cost_micros", BigInteger, nullable=False),
    Column("margin_micros", BigInteger, nullable=False),
    Column("developer_earning_micros", BigInteger, nullable=False),
    Column("platform_micros", BigInteger, nullable=False),
    Column("total_micros", BigInteger, nullable=False),
    Index("ix_transactions_app_id_id", "app_id", "id"),
    Index("ix_transactions_user_id", "user_id"),
)

server_settings = Table(
    "server_settings",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)


# ---------------------------------------------------------------- conversations (SPEC §11)

conversations = Table(
    "conversations",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("app_id", Integer, ForeignKey("apps.id", ondelete="CASCADE"), nullable=False),
    Column("title", String(200), nullable=False),
    Column("archived", Boolean, nullable=False, server_default=false()),
    Column("message_count", Integer, nullable=False, server_default="0"),
    # The leaf of the branch shown (messages.pk); no foreign key: the two tables point at
    # each other, and deleting a subtree moves it in the same transaction.
    Column("current_message_pk", Integer, nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    # Every list order: most recently updated first, ties by id (SPEC §11).
    Index("ix_conversations_owner_updated", "user_id", "app_id", "archived", "updated_at", "id"),
)

messages = Table(
    "messages",
    metadata,
    # pk orders messages by creation (exactly, whatever their timestamps) and is the
    # search index's rowid; id is the public, opaque one.
    Column("pk", Integer, primary_key=True, autoincrement=True),
    Column("id", String(40), nullable=False, unique=True),
    Column(
        "conversation_id",
        String(40),
        ForeignKey("conversations.id", ondelete="CASCADE"),
        nullable=False,
    ),
    # A message's descendants go with it (its branches).
    Column("parent_pk", Integer, ForeignKey("messages.pk", ondelete="CASCADE"), nullable=True),
    Column("role", String(16), nullable=False),
    Column("content", Text, nullable=False, server_default=""),
    Column("status", String(16), nullable=False),
    Column("model", String(100), nullable=True),
    Column("prompt_tokens", Integer, nullable=True),
    Column("completion_tokens", Integer, nullable=True),
    Column("cost_micros", BigInteger, nullable=False, server_default="0"),
    Column("feedback_rating", String(8), nullable=True),
    Column("feedback_text", Text, nullable=True),
    Column("sources", Text, nullable=False, server_default="[]"),  # JSON, kept as given
    Column("error", Text, nullable=True),  # JSON {message, type, code} of a failed answer
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    # While an answer is generated: the process doing it (storage/heartbeat.py), whether a
    # stop was asked for, and how many events came before its first chunk.
    Column("process_id", String(32), nullable=True),
    Column("stop_requested", Boolean, nullable=False, server_default=false()),
    Column("event_base", Integer, nullable=False, server_default="0"),
    Column("chunk_count", Integer, nullable=False, server_default="0"),  # once it has ended
    CheckConstraint("role IN ('user', 'assistant')", name="role_known"),
    CheckConstraint(
        "status IN ('complete', 'in_progress', 'stopped', 'failed')", name="status_known"
    ),
    Index("ix_messages_conversation_id_pk", "conversation_id", "pk"),
    Index("ix_messages_parent_pk", "parent_pk"),
    Index("ix_messages_status_process_id", "status", "process_id"),
)

# An answer's text as it was generated, in batches of chunks (one row per flush), so that
# any process can replay it from any event id; the database is the log.
message_chunks = Table(
    "message_chunks",
    metadata,
    Column("message_pk", Integer, ForeignKey("messages.pk", ondelete="CASCADE"), primary_key=True),
    Column("first_chunk", Integer, primary_key=True),  # 1-based number of its first chunk
    Column("pieces", Text, nullable=False),  # JSON array of the chunks' texts
)

# A retried ask is answered once (SPEC §11 "Retries").
idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("key", String(255), primary_key=True),
    Column("request_hash", String(64), nullable=False),
    Column(
        "conversation_id",
        String(40),
        ForeignKey("conversations.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("user_message_pk", Integer, nullable=True),
    Column("answer_pk", Integer, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)

# ---------------------------------------------------------------- user context (SPEC §15)

# What a user's questions of one UTC day add up to (context/history.py): counts only, never
# the questions' text. Days older than 90 are deleted.
user_context_days = Table(
    "user_context_days",
    metadata,
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("day", String(10), primary_key=True),  # YYYY-MM-DD, UTC
    Column("questions", Integer, nullable=False, server_default="0"),
    Column("chars", BigInteger, nullable=False, server_default="0"),
    # JSON: {"topics": {word: n}, "intents": {name: n}, "languages": {code: n}}
    Column("counts", Text, nullable=False, server_default="{}"),
)

# The summary given to the model as [User Context], recomputed from the days at most every
# LEGION_USER_CONTEXT_REFRESH seconds, and only when questions came since (``pending``).
user_context = Table(
    "user_context",
    metadata,
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("summary", Text, nullable=True),  # JSON, null until first computed
    Column("computed_at", UTCDateTime, nullable=False),
    Column("pending", Boolean, nullable=False, server_default=false()),
    Index("ix_user_context_pending_computed_at", "pending", "computed_at"),
)


# ---------------------------------------------------------------- knowledge base (SPEC §15)

knowledge_documents = Table(
    "knowledge_documents",
    metadata,
    Column("pk", Integer, primary_key=True, autoincrement=True),
    Column("id", String(40), nullable=False, unique=True),  # ctx_...
    Column("app_id", Integer, ForeignKey("apps.id", ondelete="CASCADE"), nullable=False),
    Column("filename", String(255), nullable=False),
    Column("kind", String(16), nullable=False),  # pdf, docx, pptx, text, markdown
    Column("size_bytes", BigInteger, nullable=False),
    Column("status", String(16), nullable=False),
    Column("error", Text, nullable=True),  # why it failed, for its owner
    Column("pages", Integer, nullable=True),
    Column("chunk_count", Integer, nullable=False, server_default="0"),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    # While processing: the server process doing it (storage/heartbeat.py).
    Column("process_id", String(32), nullable=True),
    CheckConstraint("status IN ('processing', 'ready', 'failed')", name="status_known"),
    Index("ix_knowledge_documents_app_id_pk", "app_id", "pk"),
    Index("ix_knowledge_documents_status_process_id", "status", "process_id"),
)

# A document's text in chunks of about 1000 tokens, each with its embedding (float32
# little-endian, knowledge/embedding.py); ``pk`` is the full-text index's rowid.
knowledge_chunks = Table(
    "knowledge_chunks",
    metadata,
    Column("pk", Integer, primary_key=True, autoincrement=True),
    Column(
        "document_pk",
        Integer,
        ForeignKey("knowledge_documents.pk", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("app_id", Integer, ForeignKey("apps.id", ondelete="CASCADE"), nullable=False),
    Column("position", Integer, nullable=False),
    Column("content", Text, nullable=False),
    Column("embedding", LargeBinary, nullable=False),
    Index("ix_knowledge_chunks_app_id_pk", "app_id", "pk"),
    Index("ix_knowledge_chunks_document_pk", "document_pk"),
)

# The full-text index of messages is dialect-specific, so migrations keep it (and the
# schema comparison leaves it alone): an FTS5 table fed by triggers on SQLite, a generated
# tsvector column with a GIN index on PostgreSQL.
# The knowledge base's chunks are indexed the same way.
SEARCH_INDEX_TABLE = "messages_fts"
KNOWLEDGE_INDEX_TABLE = "knowledge_chunks_fts"
SEARCH_VECTOR_COLUMN = "search_vector"


def is_search_index_object(name: str | None, type_: str) -> bool:
    """For schema comparison: the search indexes' own tables, columns and indexes."""
    if not name:
        return False
    if type_ == "table":
        return any(
            name == table or name.startswith(table + "_")
            for table in (SEARCH_INDEX_TABLE, KNOWLEDGE_INDEX_TABLE)
        )
    return name in (
        SEARCH_VECTOR_COLUMN,
        "ix_messages_search_vector",
        "ix_knowledge_chunks_search_vector",
    )
