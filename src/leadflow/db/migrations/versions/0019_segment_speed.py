"""segment_memberships: no foreign key to contacts, so a contact's delete leaves its stays
for the segments' handler, which publishes ContactLeftSegment for each open one and then
deletes them (a cascade dropped them silently: journeys never heard the contact left);
interactions: an index on (kind, occurred_at) for the segments' moving-window sweep

Revision ID: 0019
Revises: 0018
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import leadflow.db.base

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
WHEN = leadflow.db.base.UTCDateTime(timezone=True)

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FK = "fk_segment_memberships_contact_id_contacts"
COLUMNS = "id, segment_id, contact_id, entered_at, left_at, version, block, left_reason"


def upgrade() -> None:
    # The window sweep reads the interactions of a kind in a day's band of time.
    op.create_index("ix_interactions_kind_occurred_at", "interactions", ["kind", "occurred_at"])
    if op.get_bind().dialect.name == "postgresql":
        op.drop_constraint(FK, "segment_memberships", type_="foreignkey")
    else:
        _rebuild_on_sqlite(contact_fk=False)


def downgrade() -> None:
    op.drop_index("ix_interactions_kind_occurred_at", table_name="interactions")
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "DELETE FROM segment_memberships m WHERE NOT EXISTS "
            "(SELECT 1 FROM contacts c WHERE c.id = m.contact_id)"
        )
        op.create_foreign_key(
            FK, "segment_memberships", "contacts", ["contact_id"], ["id"], ondelete="CASCADE"
        )
    else:
        op.execute(
            "DELETE FROM segment_memberships WHERE contact_id NOT IN (SELECT id FROM contacts)"
        )
        _rebuild_on_sqlite(contact_fk=True)


def _rebuild_on_sqlite(*, contact_fk: bool) -> None:
    """SQLite drops a foreign key only by copying the table; done by hand, not in batch
    mode, so the partial unique index comes back exactly (reflection loses its WHERE)."""
    contact_args: list[sa.ForeignKey] = []
    if contact_fk:
        contact_args.append(sa.ForeignKey("contacts.id", ondelete="CASCADE", name=FK))
    op.create_table(
        "segment_memberships_new",
        sa.Column("id", ID, primary_key=True),
        sa.Column(
            "segment_id",
            ID,
            sa.ForeignKey(
                "segments.id",
                ondelete="CASCADE",
                name="fk_segment_memberships_segment_id_segments",
            ),
            nullable=False,
        ),
        sa.Column("contact_id", ID, *contact_args, nullable=False),
        sa.Column("entered_at", WHEN, nullable=False),
        sa.Column("left_at", WHEN, nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("block", sa.Integer(), nullable=False),
        sa.Column("left_reason", sa.String(64), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_segment_memberships"),
    )
    op.execute(
        f"INSERT INTO segment_memberships_new ({COLUMNS}) SELECT {COLUMNS} FROM segment_memberships"
    )
    op.drop_table("segment_memberships")
    op.rename_table("segment_memberships_new", "segment_memberships")
    op.create_index(
        "uq_segment_memberships_open",
        "segment_memberships",
        ["segment_id", "contact_id"],
        unique=True,
        sqlite_where=sa.text("left_at IS NULL"),
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
