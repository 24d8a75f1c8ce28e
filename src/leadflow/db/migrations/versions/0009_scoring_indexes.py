"""interactions: the contact/kind/time index also holds target_id, so scoring's aggregate
reads a contact's interactions from the index alone

Revision ID: 0009
Revises: 0008
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_interactions_contact_kind_time_target",
        "interactions",
        ["contact_id", "kind", "occurred_at", "target_id"],
    )
    op.drop_index("ix_interactions_contact_kind_time", table_name="interactions")


def downgrade() -> None:
    op.create_index(
        "ix_interactions_contact_kind_time",
        "interactions",
        ["contact_id", "kind", "occurred_at"],
    )
    op.drop_index("ix_interactions_contact_kind_time_target", table_name="interactions")
