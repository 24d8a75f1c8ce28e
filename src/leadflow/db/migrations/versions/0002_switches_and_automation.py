"""org switches, sales-ready provenance on leads, automation rules

Revision ID: 0002
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import leadflow.db.base

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "org_switches",
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("updated_at", leadflow.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_org_switches")),
    )
    with op.batch_alter_table("leads", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("sales_ready_at", leadflow.db.base.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("sales_ready_source", sa.String(length=16), nullable=True))

    json = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
    op.create_table(
        "automation_rules",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("group", sa.String(length=100), nullable=False),
        sa.Column("trigger", sa.String(length=100), nullable=False),
        sa.Column("match", sa.String(length=8), nullable=False),
        sa.Column("conditions", json, nullable=False),
        sa.Column("actions", json, nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("builtin", sa.Boolean(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("secret", sa.String(length=100), nullable=False),
        sa.Column("created_at", leadflow.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", leadflow.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_automation_rules")),
        sa.UniqueConstraint("key", name=op.f("uq_automation_rules_key")),
    )
    op.create_index(
        op.f("ix_automation_rules_trigger"), "automation_rules", ["trigger"], unique=False
    )
    op.create_table(
        "automation_rule_runs",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("rule_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("event_name", sa.String(length=100), nullable=False),
        sa.Column("subject", sa.String(length=100), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("ran_at", leadflow.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["rule_id"],
            ["automation_rules.id"],
            name=op.f("fk_automation_rule_runs_rule_id_automation_rules"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_automation_rule_runs")),
    )
    op.create_index(
        "ix_automation_rule_runs_rule_ran",
        "automation_rule_runs",
        ["rule_id", "ran_at"],
        unique=False,
    )
    op.create_table(
        "automation_jobs",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("created_at", leadflow.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", leadflow.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_automation_jobs")),
    )


def downgrade() -> None:
    op.drop_table("automation_jobs")
    op.drop_index("ix_automation_rule_runs_rule_ran", table_name="automation_rule_runs")
    op.drop_table("automation_rule_runs")
    op.drop_index(op.f("ix_automation_rules_trigger"), table_name="automation_rules")
    op.drop_table("automation_rules")
    with op.batch_alter_table("leads", schema=None) as batch_op:
        batch_op.drop_column("sales_ready_source")
        batch_op.drop_column("sales_ready_at")
    op.drop_table("org_switches")
