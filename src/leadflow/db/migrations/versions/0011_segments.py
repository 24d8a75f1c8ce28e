"""segments: segments, their published versions, and memberships with history

Revision ID: 0011
Revises: 0010
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import leadflow.db.base

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Json = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
When = leadflow.db.base.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "segments",
        sa.Column("id", Id, primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("definition", Json, nullable=False),
        sa.Column("parts", Json, nullable=False),
        sa.Column("time_relative", sa.Boolean(), nullable=False),
        sa.Column("went_live_at", When, nullable=True),
        sa.Column("built_at", When, nullable=True),
        sa.Column("rechecked_at", When, nullable=True),
        sa.Column(
            "created_by",
            Id,
            sa.ForeignKey("users.id", ondelete="SET NULL", name="fk_segments_created_by_users"),
            nullable=True,
        ),
        sa.Column("created_at", When, nullable=False),
        sa.Column("updated_at", When, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_segments"),
    )
    op.create_index("ix_segments_status_kind", "segments", ["status", "kind"])
    op.create_table(
        "segment_versions",
        sa.Column("id", Id, primary_key=True),
        sa.Column(
            "segment_id",
            Id,
            sa.ForeignKey(
                "segments.id", ondelete="CASCADE", name="fk_segment_versions_segment_id_segments"
            ),
            nullable=False,
        ),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("definition", Json, nullable=False),
        sa.Column("parts", Json, nullable=False),
        sa.Column(
            "created_by",
            Id,
            sa.ForeignKey(
                "users.id", ondelete="SET NULL", name="fk_segment_versions_created_by_users"
            ),
            nullable=True,
        ),
        sa.Column("created_at", When, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_segment_versions"),
        sa.UniqueConstraint("segment_id", "version", name="uq_segment_versions_segment_id_version"),
    )
    op.create_table(
        "segment_memberships",
        sa.Column("id", Id, primary_key=True),
        sa.Column(
            "segment_id",
            Id,
            sa.ForeignKey(
                "segments.id",
                ondelete="CASCADE",
                name="fk_segment_memberships_segment_id_segments",
            ),
            nullable=False,
        ),
        sa.Column(
            "contact_id",
            Id,
            sa.ForeignKey(
                "contacts.id",
                ondelete="CASCADE",
                name="fk_segment_memberships_contact_id_contacts",
            ),
            nullable=False,
        ),
        sa.Column("entered_at", When, nullable=False),
        sa.Column("left_at", When, nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("block", sa.Integer(), nullable=False),
        sa.Column("left_reason", sa.String(64), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_segment_memberships"),
    )
    op.create_index(
        "uq_segment_memberships_open",
        "segment_memberships",
        ["segment_id", "contact_id"],
        unique=True,
        sqlite_where=sa.text("left_at IS NULL"),
        postgresql_where=sa.text("left_at IS NULL"),
    )
    op.create_index(
        "ix_segment_memberships_contact_id_left_at",
        "segment_memberships",
        ["contact_id", "left_at"],
    )
    op.create_index(
        "ix_segment_memberships_segment_id_entered_at",
        "segment_memberships",
        ["segment_id", "entered_at"],
    )


def downgrade() -> None:
    op.drop_table("segment_memberships")
    op.drop_table("segment_versions")
    op.drop_index("ix_segments_status_kind", table_name="segments")
    op.drop_table("segments")
