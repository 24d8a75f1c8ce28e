"""Who enters a journey and who leaves it, set-based.

Entering is one `INSERT ... SELECT` from segment membership (or from the contacts
an event named) into journey_positions: each new position stands on the start tile,
due now, for a worker to run. The same statement applies the rules: exclusion and
suppression segments, minimum consent, one active entry at a time, and re-entry
(never, or after an interval up to a cap), so a redelivered event enters nobody twice.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import (
    Integer,
    Select,
    Table,
    and_,
    exists,
    func,
    insert,
    literal,
    literal_column,
    select,
    update,
)
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.selectable import NamedFromClause

from leadflow.db.uow import UnitOfWork
from leadflow.journeys import domain
from leadflow.journeys.domain import PositionStatus
from leadflow.journeys.models import Journey, JourneyPosition, JourneyStep
from leadflow.journeys.schemas import JourneySettings
from leadflow.journeys.services._versions import JourneyStatus, published
from leadflow.lib.clock import utcnow
from leadflow.registry.sql import table_for
from leadflow.segments.models import SegmentMembership

POSITIONS = cast(Table, JourneyPosition.__table__)
STEPS = cast(Table, JourneyStep.__table__)
MEMBERS = cast(Table, SegmentMembership.__table__)
JOURNEYS_TABLE = cast(Table, Journey.__table__)
ACTIVE = [status.value for status in domain.ACTIVE]
IN_CHUNK = 500


def _audience(settings: JourneySettings) -> Select[Any] | None:
    """The contact ids of the audience segments (union or intersection)."""
    ids = settings.audience_segment_ids
    if not ids:
        return None
    query = select(MEMBERS.c.contact_id).where(
        MEMBERS.c.segment_id.in_(ids), MEMBERS.c.left_at.is_(None)
    )
    if settings.audience_mode == "intersection" and len(set(ids)) > 1:
        return query.group_by(MEMBERS.c.contact_id).having(
            func.count(func.distinct(MEMBERS.c.segment_id)) == len(set(ids))
        )
    return query.distinct() if len(ids) > 1 else query


def _in_segments(contact_id: Any, segment_ids: Sequence[int]) -> ColumnElement[bool]:
    return exists().where(
        MEMBERS.c.contact_id == contact_id,
        MEMBERS.c.segment_id.in_(list(segment_ids)),
        MEMBERS.c.left_at.is_(None),
    )


def _empty_state(dialect: str) -> Any:
    return literal_column("CAST('{}' AS JSONB)" if dialect == "postgresql" else "'{}'")


def _may_enter(
    contacts: Table,
    settings: JourneySettings,
    candidates: Select[Any] | None,
    contact_ids: Collection[int] | None,
) -> list[ColumnElement[bool]]:
    """Which contacts may enter, whatever their past entries: the candidates (or the given
    ids), not merged, with the consent the journey needs, in no barring segment."""
    conditions: list[ColumnElement[bool]] = [contacts.c.merged_into_id.is_(None)]
    if candidates is not None:
        conditions.append(contacts.c.id.in_(candidates))
    if contact_ids is not None:
        conditions.append(contacts.c.id.in_(sorted(contact_ids)))
    levels = domain.consent_levels_from(settings.minimum_consent)
    if levels is not None:
        conditions.append(contacts.c.consent.in_(levels))
    barred = list(settings.exclusion_segment_ids)
    if settings.suppression_segment_id is not None:
        barred.append(settings.suppression_segment_id)
    if barred:
        conditions.append(~_in_segments(contacts.c.id, barred))
    return conditions


def _reentry(
    mine: NamedFromClause,
    same: ColumnElement[bool],
    settings: JourneySettings,
    now: datetime,
    conditions: list[ColumnElement[bool]],
) -> Any:
    """The re-entry rule's conditions (added to `conditions`) and the new entry's number:
    never again, or not while in it, not within the interval, not past the cap."""
    if settings.reentry == "never":
        conditions.append(~exists().where(same))
        return literal(1, Integer)
    conditions.append(~exists().where(same, mine.c.status.in_(ACTIVE)))
    days = settings.reentry_after_days or 0
    if days:
        conditions.append(~exists().where(same, mine.c.ended_at > now - timedelta(days=days)))
    if settings.reentry_cap is not None:
        count = select(func.count()).where(same).scalar_subquery()
        conditions.append(count < settings.reentry_cap)
    return func.coalesce(select(func.max(mine.c.entry_number)).where(same).scalar_subquery(), 0) + 1


def _entering(
    uow: UnitOfWork,
    journey: Journey,
    settings: JourneySettings,
    start: str,
    now: datetime,
    candidates: Select[Any] | None,
    contact_ids: Collection[int] | None,
) -> int:
    """Insert the positions of the candidates who may enter; how many entered."""
    contacts = table_for("contact")
    dialect = uow.session.get_bind().dialect.name
    conditions = _may_enter(contacts, settings, candidates, contact_ids)
    mine = POSITIONS.alias("mine")
    same = and_(mine.c.journey_id == journey.id, mine.c.contact_id == contacts.c.id)
    entry = _reentry(mine, same, settings, now, conditions)
    source = select(
        literal(journey.id).label("journey_id"),
        literal(journey.version, Integer).label("version"),
        contacts.c.id.label("contact_id"),
        entry.label("entry_number"),
        literal(start).label("tile_id"),
        literal(PositionStatus.DUE.value).label("status"),
        literal(now, POSITIONS.c.due_at.type).label("due_at"),
        _empty_state(dialect).label("state"),
        literal(now, POSITIONS.c.entered_at.type).label("entered_at"),
    ).where(*conditions)
    columns = [
        "journey_id",
        "version",
        "contact_id",
        "entry_number",
        "tile_id",
        "status",
        "due_at",
        "state",
        "entered_at",
    ]
    result = uow.session.execute(insert(POSITIONS).from_select(columns, source))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def enter_audience(uow: UnitOfWork, journey: Journey, now: datetime | None = None) -> int:
    """The live journey's audience segments' current members enter (those who may)."""
    version = published(uow.session, journey.id, journey.version)
    if version is None or journey.status != JourneyStatus.LIVE:
        return 0
    audience = _audience(version.settings)
    if audience is None:
        return 0
    return _entering(
        uow, journey, version.settings, version.definition.start, now or utcnow(), audience, None
    )


def enter_contacts(
    uow: UnitOfWork,
    journey: Journey,
    contact_ids: Collection[int],
    *,
    from_audience: bool,
    now: datetime | None = None,
) -> int:
    """These contacts enter the live journey if they may: as new members of its audience
    (`from_audience`: still checked against it, so an intersection holds) or because an
    event of its start happened to them."""
    version = published(uow.session, journey.id, journey.version)
    if version is None or journey.status != JourneyStatus.LIVE or not contact_ids:
        return 0
    audience = _audience(version.settings) if from_audience else None
    if from_audience and audience is None:
        return 0
    moment = now or utcnow()
    entered = 0
    ordered = sorted(set(contact_ids))
    for start in range(0, len(ordered), IN_CHUNK):
        entered += _entering(
            uow,
            journey,
            version.settings,
            version.definition.start,
            moment,
            audience,
            ordered[start : start + IN_CHUNK],
        )
    return entered


def exit_contacts(
    uow: UnitOfWork,
    journey_ids: Collection[int],
    contact_ids: Collection[int],
    reason: str,
    now: datetime | None = None,
) -> int:
    """The contacts' active positions in these journeys exit (goal reached, suppressed):
    one history line each, then the positions end."""
    if not journey_ids or not contact_ids:
        return 0
    moment = now or utcnow()
    ended = 0
    ordered = sorted(set(contact_ids))
    for start in range(0, len(ordered), IN_CHUNK):
        where = (
            POSITIONS.c.journey_id.in_(sorted(journey_ids)),
            POSITIONS.c.contact_id.in_(ordered[start : start + IN_CHUNK]),
            POSITIONS.c.status.in_(ACTIVE),
            POSITIONS.c.tile_id.is_not(None),
        )
        uow.session.execute(
            insert(STEPS).from_select(
                ["position_id", "journey_id", "contact_id", "tile_id", "outcome", "detail", "at"],
                select(
                    POSITIONS.c.id,
                    POSITIONS.c.journey_id,
                    POSITIONS.c.contact_id,
                    POSITIONS.c.tile_id,
                    literal(domain.Outcome.EXITED.value),
                    literal(reason),
                    literal(moment, STEPS.c.at.type),
                ).where(*where),
            )
        )
        result = uow.session.execute(
            update(POSITIONS)
            .where(*where[:3])
            .values(
                status=PositionStatus.EXITED.value,
                due_at=None,
                ended_at=moment,
                exit_reason=reason,
            )
        )
        ended += int(result.rowcount or 0)  # type: ignore[attr-defined]
    return ended


def live_journeys(uow: UnitOfWork) -> list[tuple[Journey, JourneySettings]]:
    """Live journeys with the settings of their current version."""
    found: list[tuple[Journey, JourneySettings]] = []
    for journey in uow.session.scalars(
        select(Journey).where(Journey.status == JourneyStatus.LIVE).order_by(Journey.id)
    ):
        version = published(uow.session, journey.id, journey.version)
        if version is not None:
            found.append((journey, version.settings))
    return found


def journeys_with_goal(uow: UnitOfWork, goal: str) -> list[int]:
    """Live or stopped journeys whose goal (in any published version) is `goal`."""
    return [journey.id for journey, settings in live_journeys(uow) if settings.goal == goal]
