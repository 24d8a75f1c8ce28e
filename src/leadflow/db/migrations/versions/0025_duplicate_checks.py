"""Duplicates are found in the background: the last check's candidate pairs per entity
(`duplicate_candidates`) and the check's state (`duplicate_checks`).

Revision ID: 0025
Revises: 0024
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from leadflow.db.base import UTCDateTime

revision: str = "0025"
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "duplicate_candidates",
        sa.Column("id", ID, primary_key=True),
        sa.Column("entity", sa.String(32), nullable=False),
        sa.Column("strategy_id", ID, nullable=False),
        sa.Column("strategy_name", sa.String(200), nullable=False),
        sa.Column("first_id", ID, nullable=False),
        sa.Column("second_id", ID, nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("found_at", UTCDateTime(timezone=True), nullable=False),
    )
    op.create_index(
        "ix_duplicate_candidates_entity_second", "duplicate_candidates", ["entity", "second_id"]
    )
    op.create_table(
        "duplicate_checks",
        sa.Column("entity", sa.String(32), primary_key=True),
        sa.Column("started_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("finished_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("seconds", sa.Float(), nullable=True),
        sa.Column("candidates", sa.Integer(), nullable=True),
        sa.Column("requested_at", UTCDateTime(timezone=True), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("duplicate_checks")
    op.drop_index("ix_duplicate_candidates_entity_second", table_name="duplicate_candidates")
    op.drop_table("duplicate_candidates")
