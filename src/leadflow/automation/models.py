"""Tables of automation: rules stored as data, and their runs (jobs live in `leadflow.jobs`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from leadflow.db.base import Base, Id, JsonData, UTCDateTime
from leadflow.lib.clock import utcnow


class AutomationRule(Base):
    """ "When TRIGGER [and CONDITIONS] then ACTIONS"; shipped rules carry a `key`."""

    __tablename__ = "automation_rules"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    key: Mapped[str] = mapped_column(String(100), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    group: Mapped[str] = mapped_column(String(100), default="")
    trigger: Mapped[str] = mapped_column(String(100), index=True)
    match: Mapped[str] = mapped_column(String(8), default="all")
    conditions: Mapped[list[dict[str, Any]]] = mapped_column(JsonData, default=list)
    actions: Mapped[list[dict[str, Any]]] = mapped_column(JsonData, default=list)
    enabled: Mapped[bool] = mapped_column(default=True)
    builtin: Mapped[bool] = mapped_column(default=False)
    position: Mapped[int] = mapped_column(default=100)
    # Signs webhook bodies of this rule (HMAC); generated, never shown after creation.
    secret: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RuleRun(Base):
    """One firing of a rule: what triggered it, on which record, and how it ended."""

    __tablename__ = "automation_rule_runs"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    rule_id: Mapped[int] = mapped_column(Id, ForeignKey("automation_rules.id", ondelete="CASCADE"))
    event_name: Mapped[str] = mapped_column(String(100))
    subject: Mapped[str | None] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(16))
    message: Mapped[str] = mapped_column(Text, default="")
    ran_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The outbox row of the triggering event: a redelivered event fires a rule once.
    event_id: Mapped[int | None] = mapped_column(Id)
    # Of an event about many records, which record's event (0: the event itself), so
    # each record's firing happens once too. The database fills in the 0: code and tests
    # that write this table as an older revision had it do not name the column.
    event_part: Mapped[int] = mapped_column(Integer, server_default="0")

    __table_args__ = (
        Index("ix_automation_rule_runs_rule_ran", "rule_id", "ran_at"),
        Index(
            "ux_automation_rule_runs_rule_event", "rule_id", "event_id", "event_part", unique=True
        ),
    )
