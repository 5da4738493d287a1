"""Conversations (SPEC §11): conversations, messages as a tree, the answers' stream log,
idempotency keys and the full-text index; apps gain a description and a system prompt.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

SQLITE_SEARCH = [
    # External content: the index keeps only tokens, messages keep the text. A delete must
    # name the old text, or its tokens stay findable.
    "CREATE VIRTUAL TABLE messages_fts USING fts5("
    "content, content='messages', content_rowid='pk', tokenize='unicode61')",
    "CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN "
    "INSERT INTO messages_fts(rowid, content) VALUES (new.pk, new.content); END",
    "CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN "
    "INSERT INTO messages_fts(messages_fts, rowid, content) "
    "VALUES ('delete', old.pk, old.content); END",
    "CREATE TRIGGER messages_fts_update AFTER UPDATE OF content ON messages BEGIN "
    "INSERT INTO messages_fts(messages_fts, rowid, content) "
    "VALUES ('delete', old.pk, old.content); "
    "INSERT INTO messages_fts(rowid, content) VALUES (new.pk, new.content); END",
]
POSTGRES_SEARCH = [
    # 'simple' does not stem, like FTS5's unicode61: both find the same messages.
    "ALTER TABLE messages ADD COLUMN search_vector tsvector "
    "GENERATED ALWAYS AS (to_tsvector('simple', content)) STORED",
    "CREATE INDEX ix_messages_search_vector ON messages USING gin (search_vector)",
]


def upgrade() -> None:
    # Plain ADD COLUMNs on both backends (no batch copy, as in 0002).
    op.add_column("apps", sa.Column("description", sa.Text(), server_default="", nullable=False))
    op.add_column("apps", sa.Column("system_prompt", sa.Text(), server_default="", nullable=False))
    op.create_table(
        "conversations",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("app_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("archived", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("message_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("current_message_pk", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["app_id"],
            ["apps.id"],
            name=op.f("fk_conversations_app_id_apps"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_conversations_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conversations")),
    )
    op.create_index(
        "ix_conversations_owner_updated",
        "conversations",
        ["user_id", "app_id", "archived", "updated_at", "id"],
        unique=False,
    )
    op.create_table(
        "messages",
        sa.Column("pk", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("conversation_id", sa.String(length=40), nullable=False),
        sa.Column("parent_pk", sa.Integer(), nullable=True),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("content", sa.Text(), server_default="", nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("model", sa.String(length=100), nullable=True),
        sa.Column("prompt_tokens", sa.Integer(), nullable=True),
        sa.Column("completion_tokens", sa.Integer(), nullable=True),
        sa.Column("cost_micros", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("feedback_rating", sa.String(length=8), nullable=True),
        sa.Column("feedback_text", sa.Text(), nullable=True),
        sa.Column("sources", sa.Text(), server_default="[]", nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("process_id", sa.String(length=32), nullable=True),
        sa.Column("stop_requested", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("event_base", sa.Integer(), server_default="0", nullable=False),
        sa.Column("chunk_count", sa.Integer(), server_default="0", nullable=False),
        sa.CheckConstraint("role IN ('user', 'assistant')", name=op.f("ck_messages_role_known")),
        sa.CheckConstraint(
            "status IN ('complete', 'in_progress', 'stopped', 'failed')",
            name=op.f("ck_messages_status_known"),
        ),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_messages_conversation_id_conversations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["parent_pk"],
            ["messages.pk"],
            name=op.f("fk_messages_parent_pk_messages"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_messages")),
        sa.UniqueConstraint("id", name=op.f("uq_messages_id")),
    )
    op.create_index(
        "ix_messages_conversation_id_pk", "messages", ["conversation_id", "pk"], unique=False
    )
    op.create_index("ix_messages_parent_pk", "messages", ["parent_pk"], unique=False)
    op.create_index(
        "ix_messages_status_process_id", "messages", ["status", "process_id"], unique=False
    )
    op.create_table(
        "message_chunks",
        sa.Column("message_pk", sa.Integer(), nullable=False),
        sa.Column("first_chunk", sa.Integer(), nullable=False),
        sa.Column("pieces", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["message_pk"],
            ["messages.pk"],
            name=op.f("fk_message_chunks_message_pk_messages"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("message_pk", "first_chunk", name=op.f("pk_message_chunks")),
    )
    op.create_table(
        "idempotency_keys",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("conversation_id", sa.String(length=40), nullable=False),
        sa.Column("user_message_pk", sa.Integer(), nullable=True),
        sa.Column("answer_pk", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_idempotency_keys_conversation_id_conversations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_idempotency_keys_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", "key", name=op.f("pk_idempotency_keys")),
    )
    statements = SQLITE_SEARCH if op.get_bind().dialect.name == "sqlite" else POSTGRES_SEARCH
    for statement in statements:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for trigger in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER IF EXISTS messages_fts_{trigger}")
        op.execute("DROP TABLE IF EXISTS messages_fts")
    op.drop_table("idempotency_keys")
    op.drop_table("message_chunks")
    op.drop_index("ix_messages_status_process_id", table_name="messages")
    op.drop_index("ix_messages_parent_pk", table_name="messages")
    op.drop_index("ix_messages_conversation_id_pk", table_name="messages")
    op.drop_table("messages")
    op.drop_index("ix_conversations_owner_updated", table_name="conversations")
    op.drop_table("conversations")
    op.drop_column("apps", "system_prompt")
    op.drop_column("apps", "description")
