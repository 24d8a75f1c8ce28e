"""Tables of the LinkedIn capability: connections, their forms, field mappings, the
lead-matching strategy, every form response once, and webhook notifications."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from leadflow.db.base import Base, Id, JsonData, UTCDateTime
from leadflow.lib.clock import utcnow
from leadflow.lib.sealed import SealedText


class LinkedInConnection(Base):
    """One ad account or organisation whose Lead Gen Forms are synced, and its sync state.

    `cursor` is the window a sync is working through and how far it got: kept when a
    run stops (expired token, throttling, server errors), so the next run resumes.
    """

    __tablename__ = "linkedin_connections"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    # urn:li:sponsoredAccount:123 or urn:li:organization:456
    owner_urn: Mapped[str] = mapped_column(String(200), unique=True)
    # Sealed at rest (encrypted with the settings' token key).
    access_token: Mapped[str] = mapped_column(SealedText)
    # The LinkedIn-Version header (YYYYMM) the calls carry.
    # Known when the token came from "Connect with LinkedIn" (OAuth); a pasted one's is not.
    access_token_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Sealed too: mints a new access token when the current one expires.
    refresh_token: Mapped[str | None] = mapped_column(SealedText)
    refresh_token_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The permissions LinkedIn granted (space-separated), as its token answer said.
    granted_scopes: Mapped[str | None] = mapped_column(String(500))
    api_version: Mapped[str] = mapped_column(String(8))
    base_url: Mapped[str] = mapped_column(String(300))
    # The LinkedIn app's client secret: validates webhook challenges and signatures.
    client_secret: Mapped[str | None] = mapped_column(SealedText)
    include_test_leads: Mapped[bool] = mapped_column(default=False)
    # The lead notification subscription created at LinkedIn, and the URL it posts to.
    subscription_id: Mapped[str | None] = mapped_column(String(100))
    subscription_webhook: Mapped[str | None] = mapped_column(String(1000))
    backfill_days: Mapped[int] = mapped_column(default=365)
    # new | syncing | ok | token_expired | throttled | error
    status: Mapped[str] = mapped_column(String(16), default="new")
    last_error: Mapped[str | None] = mapped_column(Text)
    last_error_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_sync_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Every response submitted before this was fetched by a finished sync.
    synced_through: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cursor: Mapped[dict[str, Any] | None] = mapped_column(JsonData)
    created_count: Mapped[int] = mapped_column(default=0)
    updated_count: Mapped[int] = mapped_column(default=0)
    skipped_count: Mapped[int] = mapped_column(default=0)
    failed_count: Mapped[int] = mapped_column(default=0)
    deleted_count: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class LinkedInForm(Base):
    """A Lead Gen Form as discovered: its questions (with predefined field types and
    choice options), hidden fields and consent checkboxes."""

    __tablename__ = "linkedin_forms"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    connection_id: Mapped[int] = mapped_column(
        Id, ForeignKey("linkedin_connections.id", ondelete="CASCADE")
    )
    linkedin_id: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(300))
    state: Mapped[str | None] = mapped_column(String(32))
    locale: Mapped[str | None] = mapped_column(String(16))
    questions: Mapped[list[dict[str, Any]]] = mapped_column(JsonData, default=list)
    hidden_fields: Mapped[list[dict[str, Any]]] = mapped_column(JsonData, default=list)
    consents: Mapped[list[dict[str, Any]]] = mapped_column(JsonData, default=list)
    discovered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("connection_id", "linkedin_id"),)


class LinkedInCampaign(Base):
    """A campaign's name, read once from LinkedIn: leads carry it as their campaign."""

    __tablename__ = "linkedin_campaigns"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    connection_id: Mapped[int] = mapped_column(
        Id, ForeignKey("linkedin_connections.id", ondelete="CASCADE")
    )
    urn: Mapped[str] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(String(200))
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("connection_id", "urn"),)


class LinkedInFieldMapping(Base):
    """Where an answer goes: a predefined field type (every form, locale-proof) or one
    form's question (by LinkedIn's question id) to a lead field of the registry.

    `scope` is `predefined:EMAIL` or `form:{form id}:{question id}`, unique.
    """

    __tablename__ = "linkedin_field_mappings"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    scope: Mapped[str] = mapped_column(String(160), unique=True)
    predefined_field: Mapped[str | None] = mapped_column(String(64))
    form_id: Mapped[int | None] = mapped_column(
        Id, ForeignKey("linkedin_forms.id", ondelete="CASCADE"), index=True
    )
    question_id: Mapped[str | None] = mapped_column(String(64))
    lead_field: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class LinkedInLeadStrategy(Base):
    """How LinkedIn leads are matched: a lead matching strategy (its fields must be
    mapped), "always create lead" and "enable contact creation".

    Exactly one is active: a partial unique index holds at most one, the services
    never leave none.
    """

    __tablename__ = "linkedin_lead_strategies"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    matching_strategy_id: Mapped[int] = mapped_column(
        Id, ForeignKey("matching_strategies.id", ondelete="CASCADE")
    )
    is_active: Mapped[bool] = mapped_column(default=False)
    always_create_lead: Mapped[bool] = mapped_column(default=False)
    enable_contact_creation: Mapped[bool] = mapped_column(default=True)
    seed_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        Index(
            "ux_linkedin_lead_strategies_active",
            "is_active",
            unique=True,
            sqlite_where=text("is_active"),
            postgresql_where=text("is_active"),
        ),
    )


class LinkedInResponse(Base):
    """One form response, stored once whatever repeats (unique on LinkedIn's id), with
    its raw JSON, the resolved answers, consents, attribution and what became of it."""

    __tablename__ = "linkedin_responses"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    connection_id: Mapped[int] = mapped_column(
        Id, ForeignKey("linkedin_connections.id", ondelete="CASCADE")
    )
    response_id: Mapped[str] = mapped_column(String(100), unique=True)
    form_id: Mapped[int | None] = mapped_column(
        Id, ForeignKey("linkedin_forms.id", ondelete="SET NULL")
    )
    form_linkedin_id: Mapped[str | None] = mapped_column(String(64))
    lead_type: Mapped[str | None] = mapped_column(String(32))
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    test_lead: Mapped[bool] = mapped_column(default=False)
    campaign_urn: Mapped[str | None] = mapped_column(String(200))
    # created | updated | skipped | failed | deleted
    outcome: Mapped[str] = mapped_column(String(16))
    error: Mapped[str | None] = mapped_column(Text)
    # The mapped values written to the lead (registry names).
    lead_values: Mapped[dict[str, Any]] = mapped_column(JsonData, default=dict)
    # Every answer by question: label, predefined type, value (choice labels resolved).
    answers: Mapped[list[dict[str, Any]]] = mapped_column(JsonData, default=list)
    consents: Mapped[list[dict[str, Any]]] = mapped_column(JsonData, default=list)
    attribution: Mapped[dict[str, Any]] = mapped_column(JsonData, default=dict)
    raw: Mapped[dict[str, Any] | None] = mapped_column(JsonData)
    lead_id: Mapped[int | None] = mapped_column(Id, ForeignKey("leads.id", ondelete="SET NULL"))
    contact_id: Mapped[int | None] = mapped_column(
        Id, ForeignKey("contacts.id", ondelete="SET NULL")
    )
    lead_created: Mapped[bool] = mapped_column(default=False)
    contact_created: Mapped[bool] = mapped_column(default=False)
    # sync | webhook
    received_via: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        Index("ix_linkedin_responses_connection_submitted", "connection_id", "submitted_at"),
        Index("ix_linkedin_responses_lead_id", "lead_id"),
    )


class LinkedInNotification(Base):
    """A webhook notification, once per (connection, response, action): repeats are dropped."""

    __tablename__ = "linkedin_notifications"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    connection_id: Mapped[int] = mapped_column(
        Id, ForeignKey("linkedin_connections.id", ondelete="CASCADE")
    )
    response_id: Mapped[str] = mapped_column(String(100))
    # CREATED | DELETED
    action: Mapped[str] = mapped_column(String(16))
    occurred_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    payload: Mapped[dict[str, Any]] = mapped_column(JsonData, default=dict)

    __table_args__ = (UniqueConstraint("connection_id", "response_id", "action"),)
