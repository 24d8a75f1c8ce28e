"""contacts and leads: merged_into_id (a merged record is kept, marked and redirects to its
survivor); activities: calls logged and notes on contacts and leads

Revision ID: 0014
Revises: 0010
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import leadflow.db.base

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
WHEN = leadflow.db.base.UTCDateTime(timezone=True)

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    for table in ("contacts", "leads"):
        # No foreign key: SQLite could add one only by rebuilding the table (batch mode),
        # which would lose its expression indexes. The merge service is the only writer.
        op.add_column(table, sa.Column("merged_into_id", ID, nullable=True))
        op.create_index(f"ix_{table}_merged_into_id", table, ["merged_into_id"])
    op.create_table(
        "activities",
        sa.Column("id", ID, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("lead_id", ID, nullable=True),
        sa.Column("contact_id", ID, nullable=True),
        sa.Column("user_id", ID, nullable=True),
        sa.Column("outcome", sa.String(32), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("next_call_at", WHEN, nullable=True),
        sa.Column("occurred_at", WHEN, nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.ForeignKeyConstraint(
            ["lead_id"], ["leads.id"], name="fk_activities_lead_id_leads", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["contacts.id"],
            name="fk_activities_contact_id_contacts",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_activities_user_id_users", ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_activities"),
    )
    op.create_index("ix_activities_lead_occurred", "activities", ["lead_id", "occurred_at"])
    op.create_index("ix_activities_contact_occurred", "activities", ["contact_id", "occurred_at"])


def downgrade() -> None:
    op.drop_table("activities")
    for table in ("contacts", "leads"):
        op.drop_index(f"ix_{table}_merged_into_id", table_name=table)
        op.drop_column(table, "merged_into_id")
