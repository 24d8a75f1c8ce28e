"""Journeys as records: create, edit (a live one publishes a new version), go live, stop,
resume, delete, read."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from leadflow.db.uow import UnitOfWork, in_own_transaction
from leadflow.errors import Conflict, ErrorCode, NotFound, ValidationFailed
from leadflow.journeys import domain
from leadflow.journeys.models import Journey, JourneyVersion
from leadflow.journeys.schemas import (
    ActionTile,
    ConditionTile,
    CreateLeadTile,
    CreateTaskTile,
    JourneyDefinition,
    JourneySettings,
    SendEmailTile,
    Tile,
    UpdateFieldTile,
)
from leadflow.journeys.services._versions import JourneyStatus, published
from leadflow.lib.clock import utcnow


def _pydantic_path(error: ValidationError, prefix: str) -> ValidationFailed:
    first = error.errors()[0]
    path = prefix
    for part in first.get("loc", ()):
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return ValidationFailed(
        f"{path}: {first.get('msg', 'invalid')}",
        field=path,
        code=ErrorCode.JOURNEY_DEFINITION_INVALID,
    )


def parse_definition(data: Any, prefix: str = "definition") -> JourneyDefinition:
    if isinstance(data, JourneyDefinition):
        return data
    try:
        return JourneyDefinition.model_validate(data)
    except ValidationError as exc:
        raise _pydantic_path(exc, prefix) from None


def parse_settings(data: Any, prefix: str = "settings") -> JourneySettings:
    if isinstance(data, JourneySettings):
        return data
    try:
        return JourneySettings.model_validate(data or {})
    except ValidationError as exc:
        raise _pydantic_path(exc, prefix) from None


def _check_references(
    uow: UnitOfWork, settings: JourneySettings, definition: JourneyDefinition
) -> None:
    """What the definition names must exist: emails, segments, fields, actions, users."""
    _check_segments(uow.session, settings)
    for index, tile in enumerate(definition.tiles):
        _check_tile_references(uow, tile, f"definition.tiles[{index}]")


def _check_segments(session: Session, settings: JourneySettings) -> None:
    """The audience, exclusion, suppression and start segments exist."""
    from leadflow.segments.services import get_segment

    segments = [
        (f"settings.audience_segment_ids[{i}]", s)
        for i, s in enumerate(settings.audience_segment_ids)
    ]
    segments += [
        (f"settings.exclusion_segment_ids[{i}]", s)
        for i, s in enumerate(settings.exclusion_segment_ids)
    ]
    if settings.suppression_segment_id is not None:
        segments.append(("settings.suppression_segment_id", settings.suppression_segment_id))
    start = settings.start_event
    if start is not None and start.kind == "segment_entered" and start.id is not None:
        segments.append(("settings.start_event.id", start.id))
    for path, segment_id in segments:
        try:
            get_segment(session, segment_id)
        except NotFound:
            raise ValidationFailed(
                f"No segment {segment_id}", field=path, code=ErrorCode.REFERENCE_UNKNOWN
            ) from None


def _check_tile_references(uow: UnitOfWork, tile: Tile, path: str) -> None:
    """What one tile names exists: its emails, field, user or action."""
    from leadflow.automation.actions import ACTIONS
    from leadflow.users.models import User

    session = uow.session
    if isinstance(tile, SendEmailTile):
        _check_template(session, tile.template_id, f"{path}.template_id")
    elif isinstance(tile, ConditionTile):
        for number, check in enumerate(tile.checks):
            if check.template_id is not None:
                _check_template(session, check.template_id, f"{path}.checks[{number}].template_id")
    elif isinstance(tile, UpdateFieldTile):
        _check_field_update(uow, tile, path)
    elif isinstance(tile, CreateTaskTile) and tile.user_id is not None:
        if session.get(User, tile.user_id) is None:
            raise ValidationFailed(
                f"No user {tile.user_id}", field=f"{path}.user_id", code=ErrorCode.USER_UNKNOWN
            )
    elif isinstance(tile, CreateLeadTile) and tile.owner_id is not None:
        if session.get(User, tile.owner_id) is None:
            raise ValidationFailed(
                f"No user {tile.owner_id}", field=f"{path}.owner_id", code=ErrorCode.USER_UNKNOWN
            )
    elif isinstance(tile, ActionTile) and tile.action not in ACTIONS:
        known = ", ".join(sorted(ACTIONS))
        raise ValidationFailed(
            f"Unknown action '{tile.action}' ({known})",
            field=f"{path}.action",
            code=ErrorCode.NOT_A_CHOICE,
        )


def _check_template(session: Session, template_id: int, path: str) -> None:
    from leadflow.emails.services import get_template

    try:
        get_template(session, template_id)
    except NotFound:
        raise ValidationFailed(
            f"No email {template_id}", field=path, code=ErrorCode.REFERENCE_UNKNOWN
        ) from None


def _check_field_update(uow: UnitOfWork, tile: UpdateFieldTile, path: str) -> None:
    """The field exists, may be set, and takes the tile's value."""
    try:
        found = uow.registry.field(tile.entity, tile.field)
    except ValidationFailed as exc:
        exc.field = f"{path}.field"
        raise
    if not found.writable or found.derived:
        raise ValidationFailed(
            f"{found.label} cannot be set",
            code=ErrorCode.INVALID_VALUE,
            field=f"{path}.field",
        )
    if tile.value is not None:
        try:
            found.coerce(tile.value)
        except ValidationFailed as exc:
            exc.field = f"{path}.value"
            raise


def _checked(
    uow: UnitOfWork, settings_data: Any, definition_data: Any
) -> tuple[JourneySettings, JourneyDefinition]:
    settings = parse_settings(settings_data)
    definition = parse_definition(definition_data)
    domain.check_settings(settings)
    domain.check_definition(definition)
    _check_references(uow, settings, definition)
    return settings, definition


def _dump(model: JourneySettings | JourneyDefinition) -> dict[str, Any]:
    return model.model_dump(mode="json", exclude_none=False)


def _check_owner(session: Session, owner_id: int | None) -> None:
    from leadflow.users.models import User

    if owner_id is not None and session.get(User, owner_id) is None:
        raise ValidationFailed(f"No user {owner_id}", field="owner_id", code=ErrorCode.USER_UNKNOWN)


def create_journey(
    name: str,
    owner_id: int | None,
    settings: Any,
    definition: Any,
    *,
    uow: UnitOfWork,
    description: str | None = None,
) -> Journey:
    """A draft journey; its definition and settings are checked (422 naming the path)."""
    name = (name or "").strip()
    if not name:
        raise ValidationFailed("A journey needs a name", code=ErrorCode.REQUIRED, field="name")
    parsed_settings, parsed_definition = _checked(uow, settings, definition)
    _check_owner(uow.session, owner_id)
    now = utcnow()
    journey = Journey(
        name=name[:200],
        description=description,
        status=JourneyStatus.DRAFT,
        version=0,
        definition=_dump(parsed_definition),
        settings=_dump(parsed_settings),
        owner_id=owner_id,
        created_at=now,
        updated_at=now,
    )
    uow.session.add(journey)
    uow.session.flush()
    return journey


def get_journey(session: Session, journey_id: int) -> Journey:
    journey = session.get(Journey, journey_id)
    if journey is None:
        raise NotFound(f"No journey {journey_id}", field="journey_id")
    return journey


def list_journeys(session: Session) -> list[Journey]:
    return list(session.scalars(select(Journey).order_by(Journey.name, Journey.id)))


def _publish(uow: UnitOfWork, journey: Journey) -> None:
    journey.version += 1
    uow.session.add(
        JourneyVersion(
            journey_id=journey.id,
            version=journey.version,
            definition=journey.definition,
            settings=journey.settings,
            created_at=utcnow(),
        )
    )
    uow.session.flush()


def update_journey(journey_id: int, changes: Mapping[str, Any], *, uow: UnitOfWork) -> Journey:
    """Edit a journey. A draft changes in place; a journey that has been live publishes
    its new definition or settings as the next version, which new entrants run while
    the contacts in flight keep the version they entered under."""
    journey = get_journey(uow.session, journey_id)
    if "name" in changes and changes["name"] is not None:
        name = str(changes["name"]).strip()
        if not name:
            raise ValidationFailed("A journey needs a name", code=ErrorCode.REQUIRED, field="name")
        journey.name = name[:200]
    if "description" in changes:
        journey.description = changes["description"]
    if changes.get("owner_id") is not None:
        _check_owner(uow.session, int(changes["owner_id"]))
        journey.owner_id = int(changes["owner_id"])
    reshaped = changes.get("settings") is not None or changes.get("definition") is not None
    if reshaped:
        settings, definition = _checked(
            uow,
            changes.get("settings") if changes.get("settings") is not None else journey.settings,
            changes.get("definition")
            if changes.get("definition") is not None
            else journey.definition,
        )
        new_settings, new_definition = _dump(settings), _dump(definition)
        changed = new_settings != journey.settings or new_definition != journey.definition
        journey.settings, journey.definition = new_settings, new_definition
        if changed and journey.version > 0:
            if journey.status == JourneyStatus.LIVE:
                domain.check_can_go_live(settings)
            _publish(uow, journey)
    journey.updated_at = utcnow()
    uow.session.flush()
    return journey


def go_live(journey_id: int, *, uow: UnitOfWork, now: datetime | None = None) -> Journey:
    """Publish the journey (a first version, or the next when it changed) and let its
    audience's current members in, set-based."""
    from leadflow.journeys.services._entry import enter_audience

    journey = get_journey(uow.session, journey_id)
    if journey.status == JourneyStatus.LIVE:
        raise Conflict("The journey is already live", field="status", code=ErrorCode.ALREADY_LIVE)
    settings, _ = _checked(uow, journey.settings, journey.definition)
    domain.check_can_go_live(settings)
    latest = published(uow.session, journey.id, journey.version) if journey.version else None
    if (
        latest is None
        or _dump(latest.definition) != journey.definition
        or _dump(latest.settings) != journey.settings
    ):
        _publish(uow, journey)
    moment = now or utcnow()
    journey.status = JourneyStatus.LIVE
    journey.went_live_at = journey.went_live_at or moment
    journey.stopped_at = None
    journey.updated_at = moment
    uow.session.flush()
    enter_audience(uow, journey, moment)
    return journey


def stop_journey(journey_id: int, *, uow: UnitOfWork) -> Journey:
    """Stop: nobody enters and nobody moves; contacts keep their place for a resume."""
    journey = get_journey(uow.session, journey_id)
    if journey.status != JourneyStatus.LIVE:
        raise Conflict(
            "Only a live journey can be stopped", field="status", code=ErrorCode.NOT_LIVE
        )
    journey.status = JourneyStatus.STOPPED
    journey.stopped_at = journey.updated_at = utcnow()
    uow.session.flush()
    return journey


def resume_journey(journey_id: int, *, uow: UnitOfWork, now: datetime | None = None) -> Journey:
    """Resume a stopped journey: contacts move on from where they stood (steps that fell
    due meanwhile run now) and the audience's members who joined meanwhile enter."""
    journey = get_journey(uow.session, journey_id)
    if journey.status != JourneyStatus.STOPPED:
        raise Conflict(
            "Only a stopped journey can be resumed", field="status", code=ErrorCode.NOT_STOPPED
        )
    return go_live(journey_id, uow=uow, now=now)


def delete_journey(journey_id: int, *, uow: UnitOfWork) -> None:
    """Delete a journey that is not live (its positions and history go with it)."""
    journey = get_journey(uow.session, journey_id)
    if journey.status == JourneyStatus.LIVE:
        raise Conflict(
            "Stop the journey before deleting it", field="status", code=ErrorCode.NOT_STOPPED
        )
    uow.session.delete(journey)
    uow.session.flush()


def journey_public(journey: Journey) -> dict[str, Any]:
    return {
        "id": journey.id,
        "name": journey.name,
        "description": journey.description,
        "status": journey.status,
        "version": journey.version,
        "owner_id": journey.owner_id,
        "settings": journey.settings,
        "definition": journey.definition,
        "went_live_at": journey.went_live_at.isoformat() if journey.went_live_at else None,
        "stopped_at": journey.stopped_at.isoformat() if journey.stopped_at else None,
        "created_at": journey.created_at.isoformat(),
        "updated_at": journey.updated_at.isoformat(),
    }


do_create_journey = in_own_transaction(create_journey)
do_update_journey = in_own_transaction(update_journey)
do_go_live = in_own_transaction(go_live)
do_stop_journey = in_own_transaction(stop_journey)
do_resume_journey = in_own_transaction(resume_journey)
do_delete_journey = in_own_transaction(delete_journey)
