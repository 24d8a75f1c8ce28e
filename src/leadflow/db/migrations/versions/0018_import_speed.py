"""imports: the jobs of an import's dry run and of its undo (both run as jobs now);
linkedin_connections: the lead notification subscription leadflow created

Revision ID: 0018
Revises: 0016
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

revision: str = "0018"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("imports", sa.Column("dry_run_job_id", ID, nullable=True))
    op.add_column("imports", sa.Column("undo_job_id", ID, nullable=True))
    op.add_column(
        "linkedin_connections", sa.Column("subscription_id", sa.String(100), nullable=True)
    )
    op.add_column(
        "linkedin_connections", sa.Column("subscription_webhook", sa.String(1000), nullable=True)
    )


def downgrade() -> None:
    with op.batch_alter_table("linkedin_connections") as batch:
        batch.drop_column("subscription_webhook")
        batch.drop_column("subscription_id")
    with op.batch_alter_table("imports") as batch:
        batch.drop_column("undo_job_id")
        batch.drop_column("dry_run_job_id")
