"""emails: templates, messages (the delivery queue and its history), the mail catcher's inbox

Revision ID: 0015
Revises: 0014
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import leadflow.db.base

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
WHEN = leadflow.db.base.UTCDateTime(timezone=True)

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "email_templates",
        sa.Column("id", ID, nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("subject", sa.String(500), nullable=False),
        sa.Column("html_body", sa.Text(), nullable=False),
        sa.Column("text_body", sa.Text(), nullable=True),
        sa.Column("from_name", sa.String(200), nullable=False),
        sa.Column("from_address", sa.String(320), nullable=False),
        sa.Column("reply_to", sa.String(320), nullable=True),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("updated_at", WHEN, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_email_templates"),
        sa.UniqueConstraint("name", name="uq_email_templates_name"),
    )
    op.create_table(
        "email_messages",
        sa.Column("id", ID, nullable=False),
        sa.Column("idempotency_key", sa.String(200), nullable=False),
        sa.Column("template_id", ID, nullable=False),
        sa.Column("contact_id", ID, nullable=False),
        sa.Column("journey_id", ID, nullable=True),
        sa.Column("journey_tile", sa.String(100), nullable=True),
        sa.Column("minimum_consent", sa.String(32), nullable=True),
        sa.Column("to_address", sa.String(320), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("skip_reason", sa.String(64), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("message_id_header", sa.String(300), nullable=True),
        sa.Column("claimed_at", WHEN, nullable=True),
        sa.Column("claimed_by", sa.String(200), nullable=True),
        sa.Column("opened_at", WHEN, nullable=True),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("sent_at", WHEN, nullable=True),
        sa.ForeignKeyConstraint(
            ["template_id"],
            ["email_templates.id"],
            name="fk_email_messages_template_id_email_templates",
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["contacts.id"],
            name="fk_email_messages_contact_id_contacts",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_email_messages"),
        sa.UniqueConstraint("idempotency_key", name="uq_email_messages_idempotency_key"),
    )
    op.create_index("ix_email_messages_status_id", "email_messages", ["status", "id"])
    op.create_index(
        "ix_email_messages_contact_id_created_at", "email_messages", ["contact_id", "created_at"]
    )
    op.create_index(
        "ix_email_messages_template_id_status", "email_messages", ["template_id", "status"]
    )
    op.create_table(
        "caught_emails",
        sa.Column("id", ID, nullable=False),
        sa.Column("mail_from", sa.String(320), nullable=False),
        sa.Column("recipients", sa.Text(), nullable=False),
        sa.Column("subject", sa.String(500), nullable=True),
        sa.Column("message_id_header", sa.String(300), nullable=True),
        sa.Column("raw", sa.Text(), nullable=False),
        sa.Column("received_at", WHEN, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_caught_emails"),
    )
    op.create_index("ix_caught_emails_received_at", "caught_emails", ["received_at"])


def downgrade() -> None:
    op.drop_table("caught_emails")
    op.drop_table("email_messages")
    op.drop_table("email_templates")
