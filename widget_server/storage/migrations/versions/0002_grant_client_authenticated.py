"""Grants remember whether the client authenticated with its secret (confidential
clients must authenticate to refresh as well).

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain ADD COLUMN on both backends (no batch copy of the table: on SQLite that would
    # drop the old table, and its ON DELETE CASCADE would take every token with it).
    op.add_column(
        "grants",
        sa.Column("client_authenticated", sa.Boolean(), server_default=sa.false(), nullable=False),
    )


def downgrade() -> None:
    op.drop_column("grants", "client_authenticated")
