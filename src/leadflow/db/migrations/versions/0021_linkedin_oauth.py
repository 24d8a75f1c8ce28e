"""linkedin_connections: what "Connect with LinkedIn" (3-legged OAuth) keeps: the refresh
token (sealed), when the access and refresh tokens expire, the permissions granted

Revision ID: 0021
Revises: 0019
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import leadflow.db.base

WHEN = leadflow.db.base.UTCDateTime(timezone=True)

revision: str = "0021"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("linkedin_connections") as table:
        table.add_column(sa.Column("access_token_expires_at", WHEN, nullable=True))
        table.add_column(sa.Column("refresh_token", sa.Text(), nullable=True))
        table.add_column(sa.Column("refresh_token_expires_at", WHEN, nullable=True))
        table.add_column(sa.Column("granted_scopes", sa.String(length=500), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("linkedin_connections") as table:
        table.drop_column("granted_scopes")
        table.drop_column("refresh_token_expires_at")
        table.drop_column("refresh_token")
        table.drop_column("access_token_expires_at")
