"""interactions: the contact/kind/time index also holds target_id, so scoring's aggregate
reads a contact's interactions from the index alone; leads: the account index also
holds the contact, so the account-based leads of an account are found from the index

Revision ID: 0010
Revises: 0009
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_interactions_contact_kind_time_target",
        "interactions",
        ["contact_id", "kind", "occurred_at", "target_id"],
    )
    op.drop_index("ix_interactions_contact_kind_time", table_name="interactions")
    op.create_index(
        "ix_leads_parent_account_contact", "leads", ["parent_account_id", "parent_contact_id"]
    )
    op.drop_index("ix_leads_parent_account_id", table_name="leads")


def downgrade() -> None:
    op.create_index("ix_leads_parent_account_id", "leads", ["parent_account_id"])
    op.drop_index("ix_leads_parent_account_contact", table_name="leads")
    op.create_index(
        "ix_interactions_contact_kind_time",
        "interactions",
        ["contact_id", "kind", "occurred_at"],
    )
    op.drop_index("ix_interactions_contact_kind_time_target", table_name="interactions")
