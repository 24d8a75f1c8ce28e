"""Tables of the capture capability."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from leadflow.db.base import Base, Id, JsonData, UTCDateTime
from leadflow.lib.clock import utcnow


class MarketingPage(Base):
    """A landing page served at /p/{slug}; its id is what lead strategies match on."""

    __tablename__ = "marketing_pages"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    intro: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class MarketingForm(Base):
    """A form: its fields map to contact and lead fields; its settings drive the pipeline."""

    __tablename__ = "marketing_forms"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    page_id: Mapped[int] = mapped_column(
        Id, ForeignKey("marketing_pages.id", ondelete="CASCADE"), unique=True
    )
    # [{"name", "label", "type", "required", "contact_field", "lead_field", "max_length"}]
    fields: Mapped[list[dict[str, Any]]] = mapped_column(JsonData, default=list)
    campaign: Mapped[str | None] = mapped_column(String(200))
    owner_id: Mapped[int | None] = mapped_column(
        Id, ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    # contacts_and_leads | only_contacts | only_leads | no_update
    update_mode: Mapped[str] = mapped_column(String(32), default="contacts_and_leads")
    generate_leads_without_matching: Mapped[bool] = mapped_column(default=False)
    consent_field: Mapped[str | None] = mapped_column(String(64))
    store_all_submissions: Mapped[bool] = mapped_column(default=True)
    contact_strategy_id: Mapped[int | None] = mapped_column(
        Id, ForeignKey("matching_strategies.id", ondelete="SET NULL")
    )
    lead_strategy_id: Mapped[int | None] = mapped_column(
        Id, ForeignKey("matching_strategies.id", ondelete="SET NULL")
    )
    # The secret that signs this form's anti-cross-site tokens; rotating it voids old pages.
    token_secret: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class FormSubmission(Base):
    """One submission with its payload and what the pipeline made of it."""

    __tablename__ = "form_submissions"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    form_id: Mapped[int] = mapped_column(Id, ForeignKey("marketing_forms.id", ondelete="CASCADE"))
    payload: Mapped[dict[str, Any]] = mapped_column(JsonData, default=dict)
    # succeeded | failed | stored (no-update forms)
    status: Mapped[str] = mapped_column(String(16))
    contact_id: Mapped[int | None] = mapped_column(
        Id, ForeignKey("contacts.id", ondelete="SET NULL")
    )
    lead_id: Mapped[int | None] = mapped_column(Id, ForeignKey("leads.id", ondelete="SET NULL"))
    contact_created: Mapped[bool] = mapped_column(default=False)
    lead_created: Mapped[bool] = mapped_column(default=False)
    # {"contact": {"strategy_id", "strategy_name", "candidates", "reason"}, "lead": {...}}
    outcome: Mapped[dict[str, Any]] = mapped_column(JsonData, default=dict)
    errors: Mapped[list[dict[str, Any]]] = mapped_column(JsonData, default=list)
    source_ip: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_form_submissions_form_id_id", "form_id", "id"),)


class MarketingEvent(Base):
    """An event people register for (and attend)."""

    __tablename__ = "marketing_events"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    capacity: Mapped[int | None]
    venue: Mapped[str | None] = mapped_column(String(300))
    # email | name | email_and_name
    match_on: Mapped[str] = mapped_column(String(32), default="email")
    create_leads: Mapped[bool] = mapped_column(default=True)
    campaign: Mapped[str | None] = mapped_column(String(200))
    owner_id: Mapped[int | None] = mapped_column(
        Id, ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class EventRegistration(Base):
    """A contact's place at an event: one per contact per event."""

    __tablename__ = "event_registrations"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    event_id: Mapped[int] = mapped_column(Id, ForeignKey("marketing_events.id", ondelete="CASCADE"))
    contact_id: Mapped[int] = mapped_column(Id, ForeignKey("contacts.id", ondelete="CASCADE"))
    lead_id: Mapped[int | None] = mapped_column(Id, ForeignKey("leads.id", ondelete="SET NULL"))
    # registered | waitlisted | cancelled
    status: Mapped[str] = mapped_column(String(16))
    attended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        UniqueConstraint("event_id", "contact_id"),
        Index("ix_event_registrations_event_id_status", "event_id", "status"),
    )
