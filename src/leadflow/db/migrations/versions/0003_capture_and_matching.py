"""capture and matching: strategies, match keys, pages, forms, submissions, events

Revision ID: 0003
Revises: 0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

import leadflow.db.base

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "marketing_pages",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("slug", sa.String(length=100), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("intro", sa.Text(), nullable=True),
        sa.Column("created_at", leadflow.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", leadflow.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_marketing_pages")),
        sa.UniqueConstraint("slug", name=op.f("uq_marketing_pages_slug")),
    )
    op.create_table(
        "match_keys",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "strategy_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column(
            "record_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("created_at", leadflow.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_match_keys")),
        sa.UniqueConstraint("strategy_id", "key", name=op.f("uq_match_keys_strategy_id_key")),
    )
    op.create_index(
        "ix_match_keys_strategy_id_record_id",
        "match_keys",
        ["strategy_id", "record_id"],
        unique=False,
    )
    op.create_table(
        "matching_strategies",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("target", sa.String(length=16), nullable=False),
        sa.Column(
            "fields",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("is_default", sa.Boolean(), nullable=False),
        sa.Column("seed_key", sa.String(length=64), nullable=True),
        sa.Column("created_at", leadflow.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", leadflow.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_matching_strategies")),
        sa.UniqueConstraint("seed_key", name=op.f("uq_matching_strategies_seed_key")),
    )
    op.create_table(
        "marketing_events",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("starts_at", leadflow.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ends_at", leadflow.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=True),
        sa.Column("venue", sa.String(length=300), nullable=True),
        sa.Column("match_on", sa.String(length=32), nullable=False),
        sa.Column("create_leads", sa.Boolean(), nullable=False),
        sa.Column("campaign", sa.String(length=200), nullable=True),
        sa.Column("owner_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("created_at", leadflow.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", leadflow.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["users.id"],
            name=op.f("fk_marketing_events_owner_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_marketing_events")),
    )
    op.create_index(
        op.f("ix_marketing_events_owner_id"), "marketing_events", ["owner_id"], unique=False
    )
    op.create_table(
        "marketing_forms",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("page_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "fields",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("campaign", sa.String(length=200), nullable=True),
        sa.Column("owner_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("update_mode", sa.String(length=32), nullable=False),
        sa.Column("generate_leads_without_matching", sa.Boolean(), nullable=False),
        sa.Column("consent_field", sa.String(length=64), nullable=True),
        sa.Column("store_all_submissions", sa.Boolean(), nullable=False),
        sa.Column(
            "contact_strategy_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=True,
        ),
        sa.Column(
            "lead_strategy_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("token_secret", sa.String(length=64), nullable=False),
        sa.Column("created_at", leadflow.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", leadflow.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["contact_strategy_id"],
            ["matching_strategies.id"],
            name=op.f("fk_marketing_forms_contact_strategy_id_matching_strategies"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["lead_strategy_id"],
            ["matching_strategies.id"],
            name=op.f("fk_marketing_forms_lead_strategy_id_matching_strategies"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["users.id"],
            name=op.f("fk_marketing_forms_owner_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["page_id"],
            ["marketing_pages.id"],
            name=op.f("fk_marketing_forms_page_id_marketing_pages"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_marketing_forms")),
        sa.UniqueConstraint("page_id", name=op.f("uq_marketing_forms_page_id")),
    )
    op.create_index(
        op.f("ix_marketing_forms_owner_id"), "marketing_forms", ["owner_id"], unique=False
    )
    op.create_table(
        "event_registrations",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("event_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "contact_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("lead_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attended_at", leadflow.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", leadflow.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["contacts.id"],
            name=op.f("fk_event_registrations_contact_id_contacts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["marketing_events.id"],
            name=op.f("fk_event_registrations_event_id_marketing_events"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["lead_id"],
            ["leads.id"],
            name=op.f("fk_event_registrations_lead_id_leads"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_registrations")),
        sa.UniqueConstraint(
            "event_id", "contact_id", name=op.f("uq_event_registrations_event_id_contact_id")
        ),
    )
    op.create_index(
        "ix_event_registrations_event_id_status",
        "event_registrations",
        ["event_id", "status"],
        unique=False,
    )
    op.create_table(
        "form_submissions",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("form_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "payload",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column(
            "contact_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("lead_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("contact_created", sa.Boolean(), nullable=False),
        sa.Column("lead_created", sa.Boolean(), nullable=False),
        sa.Column(
            "outcome",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "errors",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("source_ip", sa.String(length=64), nullable=True),
        sa.Column("created_at", leadflow.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("processed_at", leadflow.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["contacts.id"],
            name=op.f("fk_form_submissions_contact_id_contacts"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["form_id"],
            ["marketing_forms.id"],
            name=op.f("fk_form_submissions_form_id_marketing_forms"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["lead_id"],
            ["leads.id"],
            name=op.f("fk_form_submissions_lead_id_leads"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_form_submissions")),
    )
    op.create_index(
        "ix_form_submissions_form_id_id", "form_submissions", ["form_id", "id"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_form_submissions_form_id_id", table_name="form_submissions")
    op.drop_table("form_submissions")
    op.drop_index("ix_event_registrations_event_id_status", table_name="event_registrations")
    op.drop_table("event_registrations")
    op.drop_index(op.f("ix_marketing_forms_owner_id"), table_name="marketing_forms")
    op.drop_table("marketing_forms")
    op.drop_index(op.f("ix_marketing_events_owner_id"), table_name="marketing_events")
    op.drop_table("marketing_events")
    op.drop_table("matching_strategies")
    op.drop_index("ix_match_keys_strategy_id_record_id", table_name="match_keys")
    op.drop_table("match_keys")
    op.drop_table("marketing_pages")
