"""Tables of emails: templates, the messages queued for delivery, and the mail catcher's inbox."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from leadflow.db.base import Base, Id, UTCDateTime
from leadflow.lib.clock import utcnow


class EmailTemplate(Base):
    """An email: subject and HTML body with merge fields (`{{ contact.first_name }}`), an
    optional plain-text body (else derived from the HTML) and its sender."""

    __tablename__ = "email_templates"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    subject: Mapped[str] = mapped_column(String(500))
    html_body: Mapped[str] = mapped_column(Text)
    text_body: Mapped[str | None] = mapped_column(Text)
    from_name: Mapped[str] = mapped_column(String(200))
    from_address: Mapped[str] = mapped_column(String(320))
    reply_to: Mapped[str | None] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class EmailMessage(Base):
    """One email to one contact: queued -> sending -> sent (or skipped, failed, bounced).

    `idempotency_key` is unique: queueing the same key twice queues one message, and
    the Message-ID header is derived from it. `sending` is committed with the claim
    (`claimed_at`, `claimed_by`) before anything goes over SMTP; see delivery.py for
    what happens to a message found in `sending` after a crash.
    """

    __tablename__ = "email_messages"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    template_id: Mapped[int] = mapped_column(
        Id, ForeignKey("email_templates.id", ondelete="RESTRICT")
    )
    contact_id: Mapped[int] = mapped_column(Id, ForeignKey("contacts.id", ondelete="CASCADE"))
    # No foreign key: journeys land separately.
    journey_id: Mapped[int | None] = mapped_column(Id)
    journey_tile: Mapped[str | None] = mapped_column(String(100))
    minimum_consent: Mapped[str | None] = mapped_column(String(32))
    to_address: Mapped[str | None] = mapped_column(String(320))
    status: Mapped[str] = mapped_column(String(16), default="queued")
    skip_reason: Mapped[str | None] = mapped_column(String(64))
    error: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    message_id_header: Mapped[str | None] = mapped_column(String(300))
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claimed_by: Mapped[str | None] = mapped_column(String(200))
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        Index("ix_email_messages_status_id", "status", "id"),
        Index("ix_email_messages_contact_id_created_at", "contact_id", "created_at"),
        Index("ix_email_messages_template_id_status", "template_id", "status"),
    )


class CaughtEmail(Base):
    """A message the local mail catcher received (what `make run`'s demo sends)."""

    __tablename__ = "caught_emails"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    mail_from: Mapped[str] = mapped_column(String(320))
    recipients: Mapped[str] = mapped_column(Text)
    subject: Mapped[str | None] = mapped_column(String(500))
    message_id_header: Mapped[str | None] = mapped_column(String(300))
    raw: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (Index("ix_caught_emails_received_at", "received_at"),)
