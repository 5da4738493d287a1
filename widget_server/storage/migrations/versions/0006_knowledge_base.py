"""User context and the app knowledge base (SPEC §15): profile fields on users, the
per-day counters of users' questions and their summary, knowledge documents and their
chunks with embeddings and a full-text index.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

PROFILE_COLUMNS = [
    ("age", sa.Integer()),
    ("sex", sa.String(length=40)),
    ("language", sa.String(length=60)),
    ("location", sa.String(length=120)),
    ("occupation", sa.String(length=120)),
    ("industry", sa.String(length=120)),
]

# As for messages (0004): an external-content FTS5 table kept by triggers on SQLite, a
# generated tsvector column with a GIN index on PostgreSQL; both split words alike.
# Chunks are written once and deleted, never updated.
SQLITE_SEARCH = [
    "CREATE VIRTUAL TABLE knowledge_chunks_fts USING fts5("
    "content, content='knowledge_chunks', content_rowid='pk', tokenize='unicode61')",
    "CREATE TRIGGER knowledge_chunks_fts_insert AFTER INSERT ON knowledge_chunks BEGIN "
    "INSERT INTO knowledge_chunks_fts(rowid, content) VALUES (new.pk, new.content); END",
    "CREATE TRIGGER knowledge_chunks_fts_delete AFTER DELETE ON knowledge_chunks BEGIN "
    "INSERT INTO knowledge_chunks_fts(knowledge_chunks_fts, rowid, content) "
    "VALUES ('delete', old.pk, old.content); END",
]
POSTGRES_SEARCH = [
    "ALTER TABLE knowledge_chunks ADD COLUMN search_vector tsvector "
    "GENERATED ALWAYS AS (to_tsvector('simple', content)) STORED",
    "CREATE INDEX ix_knowledge_chunks_search_vector ON knowledge_chunks USING gin (search_vector)",
]


def upgrade() -> None:
    for name, type_ in PROFILE_COLUMNS:  # plain ADD COLUMNs on both backends (as in 0004)
        op.add_column("users", sa.Column(name, type_, nullable=True))
    op.create_table(
        "user_context_days",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.String(length=10), nullable=False),
        sa.Column("questions", sa.Integer(), server_default="0", nullable=False),
        sa.Column("chars", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("counts", sa.Text(), server_default="{}", nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_user_context_days_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", "day", name=op.f("pk_user_context_days")),
    )
    op.create_table(
        "user_context",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("pending", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_user_context_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_user_context")),
    )
    op.create_index(
        "ix_user_context_pending_computed_at",
        "user_context",
        ["pending", "computed_at"],
        unique=False,
    )
    op.create_table(
        "knowledge_documents",
        sa.Column("pk", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("app_id", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("pages", sa.Integer(), nullable=True),
        sa.Column("chunk_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("process_id", sa.String(length=32), nullable=True),
        sa.CheckConstraint(
            "status IN ('processing', 'ready', 'failed')",
            name=op.f("ck_knowledge_documents_status_known"),
        ),
        sa.ForeignKeyConstraint(
            ["app_id"],
            ["apps.id"],
            name=op.f("fk_knowledge_documents_app_id_apps"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_knowledge_documents")),
        sa.UniqueConstraint("id", name=op.f("uq_knowledge_documents_id")),
    )
    op.create_index(
        "ix_knowledge_documents_app_id_pk", "knowledge_documents", ["app_id", "pk"], unique=False
    )
    op.create_index(
        "ix_knowledge_documents_status_process_id",
        "knowledge_documents",
        ["status", "process_id"],
        unique=False,
    )
    op.create_table(
        "knowledge_chunks",
        sa.Column("pk", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("document_pk", sa.Integer(), nullable=False),
        sa.Column("app_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("embedding", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["app_id"],
            ["apps.id"],
            name=op.f("fk_knowledge_chunks_app_id_apps"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["document_pk"],
            ["knowledge_documents.pk"],
            name=op.f("fk_knowledge_chunks_document_pk_knowledge_documents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_knowledge_chunks")),
    )
    op.create_index(
        "ix_knowledge_chunks_app_id_pk", "knowledge_chunks", ["app_id", "pk"], unique=False
    )
    op.create_index(
        "ix_knowledge_chunks_document_pk", "knowledge_chunks", ["document_pk"], unique=False
    )
    statements = SQLITE_SEARCH if op.get_bind().dialect.name == "sqlite" else POSTGRES_SEARCH
    for statement in statements:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for trigger in ("insert", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS knowledge_chunks_fts_{trigger}")
        op.execute("DROP TABLE IF EXISTS knowledge_chunks_fts")
    op.drop_index("ix_knowledge_chunks_document_pk", table_name="knowledge_chunks")
    op.drop_index("ix_knowledge_chunks_app_id_pk", table_name="knowledge_chunks")
    op.drop_table("knowledge_chunks")
    op.drop_index("ix_knowledge_documents_status_process_id", table_name="knowledge_documents")
    op.drop_index("ix_knowledge_documents_app_id_pk", table_name="knowledge_documents")
    op.drop_table("knowledge_documents")
    op.drop_index("ix_user_context_pending_computed_at", table_name="user_context")
    op.drop_table("user_context")
    op.drop_table("user_context_days")
    for name, _ in reversed(PROFILE_COLUMNS):
        op.drop_column("users", name)
