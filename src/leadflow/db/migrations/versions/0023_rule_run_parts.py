"""A rule's firing on one record of an event about many records is logged by the
event's outbox row and the record's place in it (`event_part`), so a redelivered
event fires each record's rules once.

Revision ID: 0023
Revises: 0022
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("automation_rule_runs") as batch:
        batch.add_column(sa.Column("event_part", sa.Integer(), nullable=False, server_default="0"))
    op.drop_index("ux_automation_rule_runs_rule_event", table_name="automation_rule_runs")
    op.create_index(
        "ux_automation_rule_runs_rule_event",
        "automation_rule_runs",
        ["rule_id", "event_id", "event_part"],
        unique=True,
    )


def downgrade() -> None:
    op.drop_index("ux_automation_rule_runs_rule_event", table_name="automation_rule_runs")
    op.execute("DELETE FROM automation_rule_runs WHERE event_part > 0")
    op.create_index(
        "ux_automation_rule_runs_rule_event",
        "automation_rule_runs",
        ["rule_id", "event_id"],
        unique=True,
    )
    with op.batch_alter_table("automation_rule_runs") as batch:
        batch.drop_column("event_part")
