"""Developer tokens and the built-in ``legion-cli`` client (SPEC §14).

Developer tokens are made on /account and manage their owner's apps; ``legion login`` gets
an OAuth token (scope ``apps:manage``) for the built-in public client ``legion-cli``,
which is created here, so that no operator has to register it. It has no stored redirect
URI: it takes any loopback port (RFC 8252 §7.3, ``apps/redirect_uris.py``).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06
"""

import hashlib
import secrets

import sqlalchemy as sa
from alembic import op

from widget_server.clock import utcnow
from widget_server.storage.schema import UTCDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

CLI_CLIENT_ID = "legion-cli"

_apps = sa.table(
    "apps",
    sa.column("client_id", sa.String),
    sa.column("name", sa.String),
    sa.column("type", sa.String),
    sa.column("secret_hash", sa.String),
    sa.column("margin_bp", sa.Integer),
    sa.column("description", sa.Text),
    sa.column("system_prompt", sa.Text),
    sa.column("created_at", UTCDateTime),
    sa.column("updated_at", UTCDateTime),
)


def upgrade() -> None:
    op.create_table(
        "developer_tokens",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_developer_tokens_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_developer_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_developer_tokens_token_hash")),
    )
    op.create_index("ix_developer_tokens_user_id", "developer_tokens", ["user_id"], unique=False)
    # A public client: its secret is a digest of nothing anyone keeps, so none works.
    now = utcnow()
    op.bulk_insert(
        _apps,
        [
            {
                "client_id": CLI_CLIENT_ID,
                "name": "Legion CLI",
                "type": "cli",
                "secret_hash": hashlib.sha256(secrets.token_bytes(32)).hexdigest(),
                "margin_bp": 0,
                "description": "The legion command line and its MCP server: they manage "
                "your apps from a terminal or a coding agent.",
                "system_prompt": "",
                "created_at": now,
                "updated_at": now,
            }
        ],
    )


def downgrade() -> None:
    # Its connections, codes and tokens go with it (ON DELETE CASCADE).
    op.execute(_apps.delete().where(_apps.c.client_id == CLI_CLIENT_ID))
    op.drop_index("ix_developer_tokens_user_id", table_name="developer_tokens")
    op.drop_table("developer_tokens")
