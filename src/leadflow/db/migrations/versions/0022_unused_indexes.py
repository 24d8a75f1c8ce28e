"""Indexes no query needs, dropped: every import row paid for them.

- ix_contacts_merged_into_id, ix_leads_merged_into_id: every query tests
  `merged_into_id IS NULL`, which all unmerged records satisfy; an index on it only
  tempts a planner without statistics into scanning all of them (matching's lookups
  leave the test out of SQL for that reason). A merged record is read by its id.
- ix_match_keys_strategy_id_record_id: keys are read and changed by (strategy, key),
  the unique index, and deleted by strategy, its first column.
- ix_import_changes_import_id_line: change records are read by import and entity
  (resume, undo), never by line.

Revision ID: 0022
Revises: 0021
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_contacts_merged_into_id", table_name="contacts")
    op.drop_index("ix_leads_merged_into_id", table_name="leads")
    op.drop_index("ix_match_keys_strategy_id_record_id", table_name="match_keys")
    op.drop_index("ix_import_changes_import_id_line", table_name="import_changes")


def downgrade() -> None:
    op.create_index("ix_import_changes_import_id_line", "import_changes", ["import_id", "line"])
    op.create_index(
        "ix_match_keys_strategy_id_record_id", "match_keys", ["strategy_id", "record_id"]
    )
    op.create_index("ix_leads_merged_into_id", "leads", ["merged_into_id"])
    op.create_index("ix_contacts_merged_into_id", "contacts", ["merged_into_id"])
