"""file imports: imports, saved mappings, per-import change and error records

Revision ID: 0012
Revises: 0010
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import leadflow.db.base

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _json() -> sa.types.TypeEngine[Any]:
    return sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def _time(name: str, nullable: bool = False) -> sa.Column[Any]:
    return sa.Column(name, leadflow.db.base.UTCDateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "imports",
        sa.Column("id", ID, nullable=False),
        sa.Column("entity", sa.String(length=16), nullable=False),
        sa.Column("filename", sa.String(length=300), nullable=False),
        sa.Column("path", sa.String(length=1000), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("format", sa.String(length=8), nullable=False),
        sa.Column("encoding", sa.String(length=32), nullable=True),
        sa.Column("delimiter", sa.String(length=4), nullable=True),
        sa.Column("headers", _json(), nullable=False),
        sa.Column("mapping", _json(), nullable=False),
        sa.Column("options", _json(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("counts", _json(), nullable=False),
        sa.Column("dry_run", _json(), nullable=True),
        sa.Column("undo_report", _json(), nullable=True),
        sa.Column("job_id", ID, nullable=True),
        sa.Column("created_by", ID, nullable=True),
        _time("created_at"),
        _time("finished_at", True),
        _time("undone_at", True),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["users.id"],
            name=op.f("fk_imports_created_by_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_imports")),
    )
    op.create_index("ix_imports_sha256", "imports", ["sha256"], unique=False)
    op.create_table(
        "import_mappings",
        sa.Column("id", ID, nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("entity", sa.String(length=16), nullable=False),
        sa.Column("mapping", _json(), nullable=False),
        _time("created_at"),
        _time("updated_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_mappings")),
        sa.UniqueConstraint("entity", "name", name=op.f("uq_import_mappings_entity_name")),
    )
    op.create_table(
        "import_changes",
        sa.Column("id", ID, nullable=False),
        sa.Column("import_id", ID, nullable=False),
        sa.Column("line", sa.Integer(), nullable=False),
        sa.Column("entity", sa.String(length=16), nullable=False),
        sa.Column("record_id", ID, nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("before", _json(), nullable=True),
        sa.Column("after", _json(), nullable=True),
        sa.ForeignKeyConstraint(
            ["import_id"],
            ["imports.id"],
            name=op.f("fk_import_changes_import_id_imports"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_changes")),
    )
    op.create_index(
        "ix_import_changes_import_id_entity_record_id",
        "import_changes",
        ["import_id", "entity", "record_id"],
    )
    op.create_index("ix_import_changes_import_id_line", "import_changes", ["import_id", "line"])
    op.create_table(
        "import_errors",
        sa.Column("id", ID, nullable=False),
        sa.Column("import_id", ID, nullable=False),
        sa.Column("line", sa.Integer(), nullable=False),
        sa.Column("column", sa.String(length=300), nullable=True),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("row", _json(), nullable=False),
        sa.ForeignKeyConstraint(
            ["import_id"],
            ["imports.id"],
            name=op.f("fk_import_errors_import_id_imports"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_errors")),
    )
    op.create_index("ix_import_errors_import_id_line", "import_errors", ["import_id", "line"])


def downgrade() -> None:
    op.drop_table("import_errors")
    op.drop_table("import_changes")
    op.drop_table("import_mappings")
    op.drop_index("ix_imports_sha256", table_name="imports")
    op.drop_table("imports")
