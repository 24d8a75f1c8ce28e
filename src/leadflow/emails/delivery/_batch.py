"""The message table and the values a batch carries: what was claimed, what came of it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Table

from leadflow.emails.models import EmailMessage

MESSAGES: Table = EmailMessage.__table__  # type: ignore[assignment]


@dataclass(frozen=True)
class Claimed:
    id: int
    template_id: int
    contact_id: int
    idempotency_key: str
    to_address: str
    journey_id: int | None
    journey_tile: str | None


@dataclass
class Totals:
    sent: int = 0
    skipped: int = 0
    bounced: int = 0
    deferred: int = 0
    failed: int = 0
    recovered: int = 0
    error: str | None = None

    def add(self, other: Totals) -> None:
        for name in ("sent", "skipped", "bounced", "deferred", "failed", "recovered"):
            setattr(self, name, getattr(self, name) + getattr(other, name))

    @property
    def done(self) -> int:
        return self.sent + self.skipped + self.bounced + self.failed

    def public(self) -> dict[str, Any]:
        return {
            "sent": self.sent,
            "skipped": self.skipped,
            "bounced": self.bounced,
            "deferred": self.deferred,
            "failed": self.failed,
            "recovered": self.recovered,
            "error": self.error,
        }


@dataclass
class Finished:
    """A batch's outcomes, by message."""

    sent: dict[int, str] = field(default_factory=dict)  # id -> Message-ID header
    bounced: dict[int, str] = field(default_factory=dict)  # id -> reply
    deferred: dict[int, str] = field(default_factory=dict)
    failed: dict[int, str] = field(default_factory=dict)
