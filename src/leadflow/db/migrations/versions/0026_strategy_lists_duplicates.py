"""A matching strategy says whether the duplicates list uses it
(`matching_strategies.lists_duplicates`); the shipped LinkedIn email strategy does not.

Revision ID: 0026
Revises: 0025
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0026"
down_revision: str | None = "0025"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# linkedin/services/_strategies.DEFAULT_MATCHING_KEY when this revision was written.
LINKEDIN_EMAIL = "linkedin_lead_email"


def upgrade() -> None:
    with op.batch_alter_table("matching_strategies") as batch_op:
        batch_op.add_column(
            sa.Column("lists_duplicates", sa.Boolean(), nullable=False, server_default=sa.true())
        )
    strategies = sa.table(
        "matching_strategies", sa.column("seed_key", sa.String), sa.column("lists_duplicates")
    )
    op.execute(
        strategies.update()
        .where(strategies.c.seed_key == LINKEDIN_EMAIL)
        .values(lists_duplicates=False)
    )


def downgrade() -> None:
    with op.batch_alter_table("matching_strategies") as batch_op:
        batch_op.drop_column("lists_duplicates")
