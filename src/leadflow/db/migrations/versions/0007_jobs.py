"""one jobs table for every background job; scoring_jobs and automation_jobs go

The old tables held progress rows of rescores and orphan backfills; they are
dropped, not copied: a finished row is no longer needed and a queued or
running one is started again (the nightly rescore, or the user) after the
upgrade. Stop the workers before upgrading.

Revision ID: 0007
Revises: 0006
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import leadflow.db.base

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _json() -> sa.types.TypeEngine[Any]:
    return sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "jobs",
        sa.Column("id", ID, nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("params", _json(), nullable=False),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("checkpoint", _json(), nullable=True),
        sa.Column("result", _json(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("requested_by", ID, nullable=True),
        sa.Column("cancel_requested", sa.Boolean(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", leadflow.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("started_at", leadflow.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("finished_at", leadflow.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("heartbeat_at", leadflow.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["requested_by"],
            ["users.id"],
            name=op.f("fk_jobs_requested_by_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_jobs")),
    )
    op.create_index("ix_jobs_kind_id", "jobs", ["kind", "id"], unique=False)
    op.create_index("ix_jobs_status_heartbeat_at", "jobs", ["status", "heartbeat_at"], unique=False)
    op.drop_table("scoring_jobs")
    op.drop_table("automation_jobs")


def downgrade() -> None:
    # The old tables come back empty: jobs run after the upgrade are not copied back.
    op.create_table(
        "automation_jobs",
        sa.Column("id", ID, nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("created_at", leadflow.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", leadflow.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_automation_jobs")),
    )
    op.create_table(
        "scoring_jobs",
        sa.Column("id", ID, nullable=False),
        sa.Column("model_id", ID, nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", leadflow.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", leadflow.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["model_id"],
            ["scoring_models.id"],
            name=op.f("fk_scoring_jobs_model_id_scoring_models"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scoring_jobs")),
    )
    op.drop_index("ix_jobs_status_heartbeat_at", table_name="jobs")
    op.drop_index("ix_jobs_kind_id", table_name="jobs")
    op.drop_table("jobs")
