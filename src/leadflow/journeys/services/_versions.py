"""A journey's statuses and its published versions: read by the records, the entry
rules and the engine alike, so they import this and not each other."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from leadflow.journeys.models import JourneyVersion
from leadflow.journeys.schemas import JourneyDefinition, JourneySettings


class JourneyStatus:
    DRAFT = "draft"
    LIVE = "live"
    STOPPED = "stopped"


@dataclass(frozen=True)
class Published:
    """A published version: what positions that entered under it run."""

    journey_id: int
    version: int
    definition: JourneyDefinition
    settings: JourneySettings


def published(session: Session, journey_id: int, version: int) -> Published | None:
    """A published version (read per batch: ids are reused when tests empty the tables)."""
    row = session.scalar(
        select(JourneyVersion).where(
            JourneyVersion.journey_id == journey_id, JourneyVersion.version == version
        )
    )
    if row is None:
        return None
    return Published(
        journey_id,
        version,
        JourneyDefinition.model_validate(row.definition),
        JourneySettings.model_validate(row.settings),
    )
