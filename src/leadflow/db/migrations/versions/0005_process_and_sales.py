"""process tables: definitions, instances, transitions; sales tasks, assignments, notifications,
webhooks; saved views

Revision ID: 0005
Revises: 0004
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import leadflow.db.base

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "process_definitions",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("entity", sa.String(length=32), nullable=False),
        sa.Column(
            "body",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("is_default", sa.Boolean(), nullable=False),
        sa.Column("created_at", leadflow.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_process_definitions")),
        sa.UniqueConstraint("key", "version", name=op.f("uq_process_definitions_key_version")),
    )
    op.create_table(
        "sales_deadlines",
        sa.Column("queue", sa.String(length=64), nullable=False),
        sa.Column("hours", sa.Float(), nullable=False),
        sa.Column("updated_at", leadflow.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("queue", name=op.f("pk_sales_deadlines")),
    )
    op.create_table(
        "sales_webhook_deliveries",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("rule_key", sa.String(length=120), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column(
            "body",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("response_status", sa.Integer(), nullable=True),
        sa.Column("created_at", leadflow.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("delivered_at", leadflow.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sales_webhook_deliveries")),
    )
    with op.batch_alter_table("sales_webhook_deliveries", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_sales_webhook_deliveries_rule_key"), ["rule_key"], unique=False
        )

    op.create_table(
        "sales_webhook_secrets",
        sa.Column("rule_key", sa.String(length=120), nullable=False),
        sa.Column("secret", sa.String(length=128), nullable=False),
        sa.Column("created_at", leadflow.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("rule_key", name=op.f("pk_sales_webhook_secrets")),
    )
    op.create_table(
        "saved_views",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("entity", sa.String(length=32), nullable=False),
        sa.Column(
            "filters",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "columns",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("sort", sa.String(length=100), nullable=True),
        sa.Column("audience", sa.String(length=32), nullable=True),
        sa.Column("owner_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("created_at", leadflow.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", leadflow.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["users.id"],
            name=op.f("fk_saved_views_owner_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_saved_views")),
        sa.UniqueConstraint("key", name=op.f("uq_saved_views_key")),
    )
    with op.batch_alter_table("saved_views", schema=None) as batch_op:
        batch_op.create_index("ix_saved_views_entity_owner", ["entity", "owner_id"], unique=False)

    op.create_table(
        "process_instances",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("lead_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("process_key", sa.String(length=64), nullable=False),
        sa.Column("process_version", sa.Integer(), nullable=False),
        sa.Column("stage", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("current", sa.Boolean(), nullable=False),
        sa.Column("entered_stage_at", leadflow.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("started_at", leadflow.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", leadflow.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["lead_id"],
            ["leads.id"],
            name=op.f("fk_process_instances_lead_id_leads"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_process_instances")),
        sa.UniqueConstraint(
            "lead_id", "process_key", name=op.f("uq_process_instances_lead_id_process_key")
        ),
    )
    with op.batch_alter_table("process_instances", schema=None) as batch_op:
        batch_op.create_index(
            "ix_process_instances_stage_status", ["process_key", "stage", "status"], unique=False
        )

    op.create_table(
        "sales_assignments",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("lead_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column(
            "assigned_by_user_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=True,
        ),
        sa.Column("method", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_at", leadflow.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["assigned_by_user_id"],
            ["users.id"],
            name=op.f("fk_sales_assignments_assigned_by_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["lead_id"],
            ["leads.id"],
            name=op.f("fk_sales_assignments_lead_id_leads"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_sales_assignments_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sales_assignments")),
    )
    with op.batch_alter_table("sales_assignments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sales_assignments_lead_id"), ["lead_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_sales_assignments_user_id"), ["user_id"], unique=False)

    op.create_table(
        "sales_notifications",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("lead_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("created_at", leadflow.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("read_at", leadflow.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["lead_id"],
            ["leads.id"],
            name=op.f("fk_sales_notifications_lead_id_leads"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_sales_notifications_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sales_notifications")),
    )
    with op.batch_alter_table("sales_notifications", schema=None) as batch_op:
        batch_op.create_index(
            "ix_sales_notifications_user_read", ["user_id", "read_at"], unique=False
        )

    op.create_table(
        "sales_recycles",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("lead_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_at", leadflow.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["lead_id"],
            ["leads.id"],
            name=op.f("fk_sales_recycles_lead_id_leads"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_sales_recycles_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sales_recycles")),
    )
    with op.batch_alter_table("sales_recycles", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sales_recycles_lead_id"), ["lead_id"], unique=False)

    op.create_table(
        "sales_tasks",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("lead_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("queue", sa.String(length=64), nullable=True),
        sa.Column("stage", sa.String(length=64), nullable=True),
        sa.Column("owner_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("due_at", leadflow.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("escalated_at", leadflow.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_by_rule", sa.String(length=120), nullable=True),
        sa.Column("created_at", leadflow.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("closed_at", leadflow.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["lead_id"], ["leads.id"], name=op.f("fk_sales_tasks_lead_id_leads"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["users.id"],
            name=op.f("fk_sales_tasks_owner_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sales_tasks")),
    )
    with op.batch_alter_table("sales_tasks", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sales_tasks_lead_id"), ["lead_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_sales_tasks_owner_id"), ["owner_id"], unique=False)
        batch_op.create_index("ix_sales_tasks_queue_status", ["queue", "status"], unique=False)
        batch_op.create_index("ix_sales_tasks_status_due_at", ["status", "due_at"], unique=False)

    op.create_table(
        "process_transitions",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "instance_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("lead_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("process_key", sa.String(length=64), nullable=False),
        sa.Column("from_stage", sa.String(length=64), nullable=True),
        sa.Column("to_stage", sa.String(length=64), nullable=True),
        sa.Column(
            "actor_user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("rule", sa.String(length=120), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("seconds_in_from", sa.Integer(), nullable=True),
        sa.Column("occurred_at", leadflow.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_user_id"],
            ["users.id"],
            name=op.f("fk_process_transitions_actor_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["instance_id"],
            ["process_instances.id"],
            name=op.f("fk_process_transitions_instance_id_process_instances"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["lead_id"],
            ["leads.id"],
            name=op.f("fk_process_transitions_lead_id_leads"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_process_transitions")),
    )
    with op.batch_alter_table("process_transitions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_process_transitions_instance_id"), ["instance_id"], unique=False
        )
        batch_op.create_index(
            "ix_process_transitions_lead_occurred", ["lead_id", "occurred_at"], unique=False
        )
        batch_op.create_index(
            "ix_process_transitions_to_occurred", ["to_stage", "occurred_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("process_transitions", schema=None) as batch_op:
        batch_op.drop_index("ix_process_transitions_to_occurred")
        batch_op.drop_index("ix_process_transitions_lead_occurred")
        batch_op.drop_index(batch_op.f("ix_process_transitions_instance_id"))

    op.drop_table("process_transitions")
    with op.batch_alter_table("sales_tasks", schema=None) as batch_op:
        batch_op.drop_index("ix_sales_tasks_status_due_at")
        batch_op.drop_index("ix_sales_tasks_queue_status")
        batch_op.drop_index(batch_op.f("ix_sales_tasks_owner_id"))
        batch_op.drop_index(batch_op.f("ix_sales_tasks_lead_id"))

    op.drop_table("sales_tasks")
    with op.batch_alter_table("sales_recycles", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sales_recycles_lead_id"))

    op.drop_table("sales_recycles")
    with op.batch_alter_table("sales_notifications", schema=None) as batch_op:
        batch_op.drop_index("ix_sales_notifications_user_read")

    op.drop_table("sales_notifications")
    with op.batch_alter_table("sales_assignments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sales_assignments_user_id"))
        batch_op.drop_index(batch_op.f("ix_sales_assignments_lead_id"))

    op.drop_table("sales_assignments")
    with op.batch_alter_table("process_instances", schema=None) as batch_op:
        batch_op.drop_index("ix_process_instances_stage_status")

    op.drop_table("process_instances")
    with op.batch_alter_table("saved_views", schema=None) as batch_op:
        batch_op.drop_index("ix_saved_views_entity_owner")

    op.drop_table("saved_views")
    op.drop_table("sales_webhook_secrets")
    with op.batch_alter_table("sales_webhook_deliveries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sales_webhook_deliveries_rule_key"))

    op.drop_table("sales_webhook_deliveries")
    op.drop_table("sales_deadlines")
    op.drop_table("process_definitions")
