"""Reading journeys: per-tile counts, a contact's journeys with their steps, split results."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from leadflow.journeys.domain import Outcome, PositionStatus
from leadflow.journeys.models import Journey, JourneyPosition, JourneyStep, JourneyVersion
from leadflow.journeys.schemas import JourneyDefinition, SplitTile
from leadflow.journeys.services._entry import ACTIVE
from leadflow.journeys.services._journeys import get_journey


def tile_counts(session: Session, journey_id: int) -> dict[str, dict[str, int]]:
    """Per tile id: `active` (standing there now), `passed` (went through: every history
    line but exits), and per outcome `sent`, `capped`, `yes`, `no`, `exited`, and for a
    split `branch_0`, `branch_1`... Across every version of the journey."""
    get_journey(session, journey_id)
    counts: dict[str, dict[str, int]] = {}

    def bump(tile_id: str, key: str, value: int) -> None:
        tile = counts.setdefault(tile_id, {"active": 0, "passed": 0})
        tile[key] = tile.get(key, 0) + value

    for tile_id, count in session.execute(
        select(JourneyPosition.tile_id, func.count())
        .where(
            JourneyPosition.journey_id == journey_id,
            JourneyPosition.status.in_(ACTIVE),
            JourneyPosition.tile_id.is_not(None),
        )
        .group_by(JourneyPosition.tile_id)
    ):
        bump(str(tile_id), "active", int(count))
    for tile_id, outcome, branch, count in session.execute(
        select(JourneyStep.tile_id, JourneyStep.outcome, JourneyStep.branch, func.count())
        .where(JourneyStep.journey_id == journey_id)
        .group_by(JourneyStep.tile_id, JourneyStep.outcome, JourneyStep.branch)
    ):
        number = int(count)
        if outcome != Outcome.EXITED:
            bump(tile_id, "passed", number)
        if outcome == Outcome.BRANCH:
            bump(tile_id, f"branch_{branch}", number)
        elif outcome != Outcome.PASSED:
            bump(tile_id, str(outcome), number)
    return counts


@dataclass(frozen=True)
class StepView:
    tile_id: str
    tile_label: str
    outcome: str
    branch: int | None
    detail: str | None
    at: datetime


@dataclass(frozen=True)
class ContactJourney:
    """One entry of a contact in a journey, for its page."""

    journey_id: int
    journey_name: str
    entry_number: int
    version: int
    tile_id: str | None
    tile_label: str
    status: str
    entered_at: datetime
    ended_at: datetime | None
    exit_reason: str | None
    steps: list[StepView] = field(default_factory=list)

    def public(self) -> dict[str, Any]:
        return {
            "journey_id": self.journey_id,
            "journey_name": self.journey_name,
            "entry_number": self.entry_number,
            "version": self.version,
            "tile_id": self.tile_id,
            "tile_label": self.tile_label,
            "status": self.status,
            "entered_at": self.entered_at.isoformat(),
            "ended_at": self.ended_at.isoformat() if self.ended_at else None,
            "exit_reason": self.exit_reason,
            "steps": [
                {
                    "tile_id": step.tile_id,
                    "tile_label": step.tile_label,
                    "outcome": step.outcome,
                    "branch": step.branch,
                    "detail": step.detail,
                    "at": step.at.isoformat(),
                }
                for step in self.steps
            ],
        }


def tile_label(definition: JourneyDefinition | None, tile_id: str | None) -> str:
    """A tile's words: its label, else its kind in words."""
    if tile_id is None:
        return "finished"
    if definition is None:
        return tile_id
    tile = definition.by_id().get(tile_id)
    if tile is None:
        return tile_id
    return tile.label or tile.kind.replace("_", " ").capitalize()


def contact_journeys(session: Session, contact_id: int) -> list[ContactJourney]:
    """Every entry of the contact in any journey, newest first, with its step history."""
    rows = list(
        session.execute(
            select(JourneyPosition, Journey.name)
            .join(Journey, Journey.id == JourneyPosition.journey_id)
            .where(JourneyPosition.contact_id == contact_id)
            .order_by(JourneyPosition.entered_at.desc(), JourneyPosition.id.desc())
        )
    )
    if not rows:
        return []
    keys = {(position.journey_id, position.version) for position, _ in rows}
    definitions: dict[tuple[int, int], JourneyDefinition] = {}
    for version in session.scalars(
        select(JourneyVersion).where(
            JourneyVersion.journey_id.in_({journey_id for journey_id, _ in keys})
        )
    ):
        if (version.journey_id, version.version) in keys:
            definitions[(version.journey_id, version.version)] = JourneyDefinition.model_validate(
                version.definition
            )
    steps: dict[int, list[JourneyStep]] = {}
    for step in session.scalars(
        select(JourneyStep)
        .where(JourneyStep.position_id.in_([position.id for position, _ in rows]))
        .order_by(JourneyStep.at, JourneyStep.id)
    ):
        steps.setdefault(step.position_id, []).append(step)
    found: list[ContactJourney] = []
    for position, name in rows:
        definition = definitions.get((position.journey_id, position.version))
        found.append(
            ContactJourney(
                journey_id=position.journey_id,
                journey_name=name,
                entry_number=position.entry_number,
                version=position.version,
                tile_id=position.tile_id,
                tile_label=tile_label(definition, position.tile_id),
                status=position.status,
                entered_at=position.entered_at,
                ended_at=position.ended_at,
                exit_reason=position.exit_reason,
                steps=[
                    StepView(
                        step.tile_id,
                        tile_label(definition, step.tile_id),
                        step.outcome,
                        step.branch,
                        step.detail,
                        step.at,
                    )
                    for step in steps.get(position.id, [])
                ],
            )
        )
    return found


def split_results(session: Session, journey_id: int) -> list[dict[str, Any]]:
    """The split readout: per split tile and branch, how many contacts took it and how
    many of them reached the goal or finished the journey."""
    journey = get_journey(session, journey_id)
    definition = JourneyDefinition.model_validate(journey.definition)
    reached = case((JourneyPosition.exit_reason == "goal", 1), else_=0)
    finished = case((JourneyPosition.status == PositionStatus.DONE.value, 1), else_=0)
    rows = session.execute(
        select(
            JourneyStep.tile_id,
            JourneyStep.branch,
            func.count(),
            func.sum(reached),
            func.sum(finished),
        )
        .join(JourneyPosition, JourneyPosition.id == JourneyStep.position_id)
        .where(JourneyStep.journey_id == journey_id, JourneyStep.outcome == Outcome.BRANCH)
        .group_by(JourneyStep.tile_id, JourneyStep.branch)
    )
    found: dict[tuple[str, int], tuple[int, int, int]] = {
        (tile_id, int(branch)): (int(count), int(goal or 0), int(done or 0))
        for tile_id, branch, count, goal, done in rows
    }
    readout: list[dict[str, Any]] = []
    for tile in definition.tiles:
        if not isinstance(tile, SplitTile):
            continue
        readout.append(
            {
                "tile_id": tile.id,
                "label": tile.label or "Split",
                "branches": [
                    {
                        "branch": index,
                        "label": branch.label or f"Branch {chr(65 + index)}",
                        "percent": branch.percent,
                        "contacts": found.get((tile.id, index), (0, 0, 0))[0],
                        "reached_goal": found.get((tile.id, index), (0, 0, 0))[1],
                        "finished": found.get((tile.id, index), (0, 0, 0))[2],
                    }
                    for index, branch in enumerate(tile.branches)
                ],
            }
        )
    return readout
