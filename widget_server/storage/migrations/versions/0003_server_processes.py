"""Server processes beat a heartbeat, and a reservation names the process that holds it,
so that the holds of a process that died are released within a minute.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "server_processes",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_server_processes")),
    )
    # A plain ADD COLUMN on both backends (no batch copy, as in 0002). Holds made before
    # this revision have no process: they are released after 6 hours, as they were.
    op.add_column("reservations", sa.Column("process_id", sa.String(length=32), nullable=True))
    op.create_index("ix_reservations_process_id", "reservations", ["process_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_reservations_process_id", table_name="reservations")
    op.drop_column("reservations", "process_id")
    op.drop_table("server_processes")
