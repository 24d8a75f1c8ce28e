"""The records a chunk of an import created are kept as one change record: its
`record_id` the first id, `last_record_id` the last, `after` which id came from
which line (`imports.domain.created_runs`). Per-row records stay for updates
(their `before`/`after`) and for interactions; `last_record_id` is NULL on them.

Revision ID: 0024
Revises: 0023
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("import_changes") as batch:
        batch.add_column(sa.Column("last_record_id", ID, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("import_changes") as batch:
        batch.drop_column("last_record_id")
