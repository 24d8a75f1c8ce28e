"""journeys: journeys and their published versions, contacts' positions (the engine's
state), the history of their steps, split branches kept per contact, and the one lead
an account journey makes per account

Revision ID: 0016
Revises: 0015
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import leadflow.db.base

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
WHEN = leadflow.db.base.UTCDateTime(timezone=True)
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "journeys",
        sa.Column("id", ID, nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("definition", JSON, nullable=False),
        sa.Column("settings", JSON, nullable=False),
        sa.Column("owner_id", ID, nullable=True),
        sa.Column("went_live_at", WHEN, nullable=True),
        sa.Column("stopped_at", WHEN, nullable=True),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("updated_at", WHEN, nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name=op.f("fk_journeys_owner_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_journeys")),
    )
    op.create_table(
        "journey_positions",
        sa.Column("id", ID, nullable=False),
        sa.Column("journey_id", ID, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("contact_id", ID, nullable=False),
        sa.Column("entry_number", sa.Integer(), nullable=False),
        sa.Column("tile_id", sa.String(length=40), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("due_at", WHEN, nullable=True),
        sa.Column("state", JSON, nullable=False),
        sa.Column("entered_at", WHEN, nullable=False),
        sa.Column("ended_at", WHEN, nullable=True),
        sa.Column("exit_reason", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["contacts.id"],
            name=op.f("fk_journey_positions_contact_id_contacts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["journey_id"],
            ["journeys.id"],
            name=op.f("fk_journey_positions_journey_id_journeys"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_journey_positions")),
        sa.UniqueConstraint(
            "contact_id", "journey_id", "entry_number", name="uq_journey_positions_entry"
        ),
    )
    with op.batch_alter_table("journey_positions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_journey_positions_journey_tile", ["journey_id", "tile_id", "status"], unique=False
        )
        batch_op.create_index(
            "ix_journey_positions_status_due_at", ["status", "due_at"], unique=False
        )

    op.create_table(
        "journey_splits",
        sa.Column("journey_id", ID, nullable=False),
        sa.Column("contact_id", ID, nullable=False),
        sa.Column("tile_id", sa.String(length=40), nullable=False),
        sa.Column("branch", sa.SmallInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["contacts.id"],
            name=op.f("fk_journey_splits_contact_id_contacts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["journey_id"],
            ["journeys.id"],
            name=op.f("fk_journey_splits_journey_id_journeys"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "journey_id", "contact_id", "tile_id", name=op.f("pk_journey_splits")
        ),
    )
    op.create_table(
        "journey_versions",
        sa.Column("id", ID, nullable=False),
        sa.Column("journey_id", ID, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("definition", JSON, nullable=False),
        sa.Column("settings", JSON, nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.ForeignKeyConstraint(
            ["journey_id"],
            ["journeys.id"],
            name=op.f("fk_journey_versions_journey_id_journeys"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_journey_versions")),
        sa.UniqueConstraint(
            "journey_id", "version", name=op.f("uq_journey_versions_journey_id_version")
        ),
    )
    op.create_table(
        "journey_account_leads",
        sa.Column("journey_id", ID, nullable=False),
        sa.Column("account_id", ID, nullable=False),
        sa.Column("lead_id", ID, nullable=True),
        sa.Column("created_at", WHEN, nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_journey_account_leads_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["journey_id"],
            ["journeys.id"],
            name=op.f("fk_journey_account_leads_journey_id_journeys"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["lead_id"],
            ["leads.id"],
            name=op.f("fk_journey_account_leads_lead_id_leads"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("journey_id", "account_id", name=op.f("pk_journey_account_leads")),
    )
    op.create_table(
        "journey_steps",
        sa.Column("id", ID, nullable=False),
        sa.Column("position_id", ID, nullable=False),
        sa.Column("journey_id", ID, nullable=False),
        sa.Column("contact_id", ID, nullable=False),
        sa.Column("tile_id", sa.String(length=40), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("branch", sa.SmallInteger(), nullable=True),
        sa.Column("detail", sa.String(length=300), nullable=True),
        sa.Column("at", WHEN, nullable=False),
        sa.ForeignKeyConstraint(
            ["journey_id"],
            ["journeys.id"],
            name=op.f("fk_journey_steps_journey_id_journeys"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["position_id"],
            ["journey_positions.id"],
            name=op.f("fk_journey_steps_position_id_journey_positions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_journey_steps")),
    )
    with op.batch_alter_table("journey_steps", schema=None) as batch_op:
        batch_op.create_index(
            "ix_journey_steps_journey_tile", ["journey_id", "tile_id", "outcome"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_journey_steps_position_id"), ["position_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("journey_steps", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_journey_steps_position_id"))
        batch_op.drop_index("ix_journey_steps_journey_tile")

    op.drop_table("journey_steps")
    op.drop_table("journey_account_leads")
    op.drop_table("journey_versions")
    op.drop_table("journey_splits")
    with op.batch_alter_table("journey_positions", schema=None) as batch_op:
        batch_op.drop_index("ix_journey_positions_status_due_at")
        batch_op.drop_index("ix_journey_positions_journey_tile")

    op.drop_table("journey_positions")
    op.drop_table("journeys")
