"""outbox: subject (ordering and waiting), cascade depth, parked events; rule runs keyed
by their event

Revision ID: 0008
Revises: 0007
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import leadflow.db.base

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("subject", sa.String(length=80), nullable=True))
        batch_op.add_column(
            sa.Column("depth", sa.Integer(), nullable=False, server_default=sa.text("0"))
        )
        batch_op.add_column(sa.Column("parked_at", leadflow.db.base.UTCDateTime(), nullable=True))
        batch_op.create_index(
            "ix_outbox_pending_subject",
            ["subject", "id"],
            unique=False,
            sqlite_where=sa.text("dispatched_at IS NULL"),
            postgresql_where=sa.text("dispatched_at IS NULL"),
        )
    with op.batch_alter_table("automation_rule_runs", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "event_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
            )
        )
        batch_op.create_index(
            "ux_automation_rule_runs_rule_event", ["rule_id", "event_id"], unique=True
        )


def downgrade() -> None:
    with op.batch_alter_table("automation_rule_runs", schema=None) as batch_op:
        batch_op.drop_index("ux_automation_rule_runs_rule_event")
        batch_op.drop_column("event_id")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_outbox_pending_subject",
            sqlite_where=sa.text("dispatched_at IS NULL"),
            postgresql_where=sa.text("dispatched_at IS NULL"),
        )
        batch_op.drop_column("parked_at")
        batch_op.drop_column("depth")
        batch_op.drop_column("subject")
