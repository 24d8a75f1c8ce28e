"""What the journeys list and the designer show: rows, the designer's context."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from leadflow.errors import LeadflowError
from leadflow.journeys import services
from leadflow.journeys.models import Journey
from leadflow.lib.clock import utcnow
from leadflow.registry.domain import Registry
from leadflow.users.domain import Permission, role_allows
from leadflow.users.services import Principal
from leadflow.web.pages.journeys._forms import (
    CONSENTS,
    GOALS,
    START_EVENTS,
    WEEKDAYS,
    error_target,
    json_script,
    settings_view,
    time_zones,
)
from leadflow.web.pages.journeys._tiles import (
    catalogue,
    journey_totals,
    tile_rows,
    user_names,
)


def _owner_choices(
    active: list[list[Any]], owner_id: int | None, names: Mapping[int, str]
) -> list[list[Any]]:
    """The users the owner is picked from: the active ones, and the owner when it is not
    (so saving the settings never hands the journey to someone else unasked)."""
    if owner_id is None or any(pair[0] == owner_id for pair in active):
        return active
    return [[owner_id, f"{names.get(owner_id, 'user')} (inactive)"], *active]


def _segments(session: Session) -> list[dict[str, Any]]:
    from leadflow.segments.services import list_segments

    return [
        {"id": s.id, "name": s.name, "status": s.status}
        for s in sorted(list_segments(session), key=lambda s: s.name.lower())
    ]


def _templates(session: Session) -> list[tuple[int, str]]:
    from leadflow.emails.services import list_templates

    return sorted(
        ((t.id, t.name) for t in list_templates(session)), key=lambda pair: pair[1].lower()
    )


def journey_rows(session: Session) -> list[dict[str, Any]]:
    """The journeys as the list shows them: audience segments and owner by name, totals."""
    segment_names = {s["id"]: s["name"] for s in _segments(session)}
    journeys = services.list_journeys(session)
    totals = journey_totals(session, [j.id for j in journeys])
    owners = user_names(session)
    rows = []
    for journey in journeys:
        settings = journey.settings or {}
        audience = [
            segment_names.get(int(i), f"Segment {i}")
            for i in settings.get("audience_segment_ids") or []
        ]
        rows.append(
            {
                **services.journey_public(journey),
                **totals.get(journey.id, {"entered": 0, "active": 0, "completed": 0}),
                "target": settings.get("target", "contact"),
                "audience": ", ".join(audience),
                "owner": owners.get(journey.owner_id) if journey.owner_id else None,
            }
        )
    return rows


def designer_context(
    session: Session,
    registry: Registry,
    journey_id: int,
    principal: Principal,
    *,
    error: LeadflowError | None,
    posted: tuple[str, dict[str, Any], Any, str, str] | None,
) -> dict[str, Any]:
    journey = services.get_journey(session, journey_id)
    saved_settings: dict[str, Any] = dict(journey.settings or {})
    definition: Any = dict(journey.definition or {})
    name, settings, description = journey.name, saved_settings, journey.description or ""
    owner = str(journey.owner_id or "")
    if posted is not None:
        name, settings, description, owner = posted[0], posted[1], posted[3], posted[4]
        if isinstance(posted[2], Mapping):
            definition = posted[2]
    segments = _segments(session)
    owner_names = user_names(session)
    names = catalogue(
        session,
        registry,
        target=str(settings.get("target") or "contact"),
        templates=_templates(session),
        segments=[(s["id"], s["name"]) for s in segments],
        journey_owner=owner_names.get(journey.owner_id) if journey.owner_id else None,
    )
    counts, splits = _counts_and_splits(session, journey)
    field_errors, errors, error_where = _error_places(error, definition)
    tile_errors = {e["tile"]: e["message"] for e in errors if e["tile"]}
    return {
        "journey": _summary(session, journey, saved_settings, owner_names),
        "form": {**settings_view(settings, name), "description": description, "owner": owner},
        "users": _owner_choices(names["users"], journey.owner_id, owner_names),
        "segments": segments,
        "catalogue_forms": names["forms"],
        "start_events": START_EVENTS,
        "goals": GOALS,
        "consents": CONSENTS,
        "weekdays": WEEKDAYS,
        "time_zones": time_zones(),
        "field_errors": field_errors,
        "error": error,
        "error_where": error_where,
        "definition_json": json.dumps(definition),
        "catalogue": json_script(names),
        "counts": counts,
        "counts_at": _clock(utcnow()),
        "counts_json": json_script(counts),
        "errors_json": json_script(errors),
        "tiles": tile_rows(definition, names, counts, tile_errors),
        "splits": splits,
        "can_write": role_allows(principal.role, Permission.JOURNEYS_WRITE),
    }


def _summary(
    session: Session, journey: Journey, saved_settings: Mapping[str, Any], owners: Mapping[int, str]
) -> dict[str, Any]:
    """The journey as saved, with its totals: the designer's header."""
    totals = journey_totals(session, [journey.id]).get(journey.id, {})
    return {
        **services.journey_public(journey),
        "entered": totals.get("entered", 0),
        "active": totals.get("active", 0),
        "completed": totals.get("completed", 0),
        "target": saved_settings.get("target", "contact"),
        "owner": owners.get(journey.owner_id) if journey.owner_id else None,
    }


def _counts_and_splits(
    session: Session, journey: Journey
) -> tuple[dict[str, dict[str, Any]] | None, list[dict[str, Any]]]:
    """Per-tile counts and split results, once the journey has been live."""
    if journey.version <= 0:
        return None, []
    counts = {str(k): dict(v) for k, v in services.tile_counts(session, journey.id).items()}
    return counts, services.split_results(session, journey.id)


def _error_places(
    error: LeadflowError | None, definition: Any
) -> tuple[dict[str, str], list[dict[str, Any]], str | None]:
    """Where an error goes: beside a settings field, or on the tile at fault."""
    if error is None:
        return {}, [], None
    setting_key, tile_id = error_target(error.field, definition)
    if error.field == "owner_id":
        setting_key = "owner"
    if setting_key:
        return {setting_key: error.message}, [], "Settings"
    if error.field and error.field.startswith("definition"):
        return {}, [{"tile": tile_id, "field": error.field, "message": error.message}], "Flow"
    return {}, [], None


def _clock(moment: datetime) -> str:
    return moment.strftime("%H:%M:%S UTC")
