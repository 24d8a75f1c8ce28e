"""Pages of journeys: the list, the designer (settings and the flow), and the contact's
journey history panel.

The flow is drawn by a small script (static/journeys.js) from the definition kept in a
hidden field, with the emails, segments, fields and users it offers embedded by name;
the settings are a plain form. Saving posts both; an error from the service comes back
beside the settings field or on the tile at fault, with what the person had changed
kept as it was.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from markupsafe import Markup
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from leadflow.db.uow import UnitOfWork
from leadflow.errors import LeadflowError, ValidationFailed
from leadflow.journeys import services
from leadflow.journeys.schemas import JourneyDefinition, JourneySettings
from leadflow.lib.clock import utcnow
from leadflow.registry.domain import Registry
from leadflow.users.domain import Permission, role_allows
from leadflow.users.services import Principal
from leadflow.web.auth import Authorize, container_of
from leadflow.web.calls import PageCall, page_call, see_other
from leadflow.web.pages.display import humanize
from leadflow.web.pages.journeys_designer import (
    CONSENTS,
    GOALS,
    START_EVENTS,
    WEEKDAYS,
    catalogue,
    checked,
    definition_from_form,
    error_target,
    journey_totals,
    json_script,
    settings_from_form,
    settings_view,
    tile_rows,
    time_zones,
    user_names,
)
from leadflow.web.pages.panels import PanelContext, detail_panel, render_fragment
from leadflow.web.pages.render import render

# A new journey starts with one tile: the designer adds the rest before it.
STARTER = {"start": "end1", "tiles": [{"id": "end1", "kind": "end", "label": ""}]}


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def _owner_from_form(form: FormData) -> int | None:
    """The owner picked in the settings (a user's id from the list); blank: unchanged."""
    raw = _text(form, "owner_id")
    if not raw:
        return None
    if not raw.isdigit():
        raise ValidationFailed("Pick the owner from the list of users", field="owner_id")
    return int(raw)


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


def _journey_rows(session: Session) -> list[dict[str, Any]]:
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


router = APIRouter(include_in_schema=False)
can_read = Authorize(Permission.JOURNEYS_READ)
writing = page_call(Permission.JOURNEYS_WRITE)


def _index(
    request: Request,
    principal: Principal,
    *,
    error: LeadflowError | None = None,
    notice: str | None = None,
    form_name: str = "",
) -> Response:
    with container_of(request).read_session() as session:
        rows = _journey_rows(session)
    return render(
        request,
        "journeys/index.html",
        {
            "journeys": rows,
            "can_write": role_allows(principal.role, Permission.JOURNEYS_WRITE),
            "error": error,
            "notice": notice,
            "form_name": form_name,
        },
        status=error.http_status if error else 200,
    )


@router.get("/journeys")
def index(request: Request, notice: str = "", principal: Principal = Depends(can_read)) -> Response:
    return _index(request, principal, notice=notice[:200] or None)


@router.post("/journeys/new")
def create(call: PageCall = writing) -> Response:
    name = call.text("name")

    def create_journey(uow: UnitOfWork) -> Any:
        if not name:
            raise ValidationFailed("A journey needs a name", field="name")
        settings = checked(
            JourneySettings, {"target": call.text("target") or "contact"}, "settings"
        )
        return services.do_create_journey(
            name, call.user_id, settings, JourneyDefinition.model_validate(STARTER), uow=uow
        )

    return call.run(
        create_journey,
        done=lambda journey: see_other(f"/journeys/{journey.id}"),
        failed=lambda exc: _index(call.request, call.principal, error=exc, form_name=name),
    )


def _designer(
    request: Request,
    principal: Principal,
    journey_id: int,
    *,
    error: LeadflowError | None = None,
    posted: tuple[str, dict[str, Any], Any, str, str] | None = None,
    notice: str | None = None,
) -> Response:
    container = container_of(request)
    with container.read_session() as session:
        registry = container.registry_cache.get(session)
        context = _designer_context(
            session, registry, journey_id, principal, error=error, posted=posted
        )
    context["notice"] = notice
    return render(
        request,
        "journeys/designer.html",
        context,
        status=error.http_status if error else 200,
    )


@router.get("/journeys/{journey_id:int}")
def show(
    request: Request,
    journey_id: int,
    notice: str = "",
    principal: Principal = Depends(can_read),
) -> Response:
    return _designer(request, principal, journey_id, notice=notice[:200] or None)


@router.post("/journeys/{journey_id:int}")
def save(journey_id: int, call: PageCall = writing) -> Response:
    form = call.form
    name = call.text("name")
    raw_settings = settings_from_form(form)
    description = call.text("description")
    raw_definition: Any = None
    owner = call.text("owner_id")

    def update(uow: UnitOfWork) -> object:
        nonlocal raw_definition
        raw_definition = definition_from_form(form)
        owner_id = _owner_from_form(form)
        if not name:
            raise ValidationFailed("A journey needs a name", field="name")
        settings = checked(JourneySettings, raw_settings, "settings")
        definition = checked(JourneyDefinition, raw_definition, "definition")
        return services.do_update_journey(
            journey_id,
            {
                "name": name,
                "description": description or None,
                "settings": settings,
                "definition": definition,
                "owner_id": owner_id,
            },
            uow=uow,
        )

    return call.run(
        update,
        done=f"/journeys/{journey_id}?notice=saved",
        # What the person typed comes back as it was, the definition as far as it was read.
        failed=lambda exc: _designer(
            call.request,
            call.principal,
            journey_id,
            error=exc,
            posted=(name, raw_settings, raw_definition, description, owner),
        ),
    )


def lifecycle(path: str, use_case: Callable[..., object], notice: str) -> None:
    """One of the buttons moving a journey on (go live, stop, resume)."""

    @router.post(f"/journeys/{{journey_id:int}}/{path}", name=f"journey_{notice}")
    def move(journey_id: int, call: PageCall = writing) -> Response:
        if call.text("back") == "list":
            return call.run(
                lambda uow: use_case(journey_id, uow=uow),
                done=f"/journeys?notice={notice}",
                failed=lambda exc: _index(call.request, call.principal, error=exc),
            )
        return call.run(
            lambda uow: use_case(journey_id, uow=uow),
            done=f"/journeys/{journey_id}?notice={notice}",
            failed=lambda exc: _designer(call.request, call.principal, journey_id, error=exc),
        )


lifecycle("go-live", services.do_go_live, "live")
lifecycle("stop", services.do_stop_journey, "stopped")
lifecycle("resume", services.do_resume_journey, "resumed")


def routers() -> list[APIRouter]:
    return [router]


def _designer_context(
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
    counts: dict[str, dict[str, Any]] | None = None
    splits: list[dict[str, Any]] = []
    if journey.version > 0:
        counts = {str(k): dict(v) for k, v in services.tile_counts(session, journey_id).items()}
        splits = services.split_results(session, journey_id)
    field_errors: dict[str, str] = {}
    errors: list[dict[str, Any]] = []
    error_where: str | None = None
    if error is not None:
        setting_key, tile_id = error_target(error.field, definition)
        if error.field == "owner_id":
            setting_key = "owner"
        if setting_key:
            field_errors[setting_key] = error.message
            error_where = "Settings"
        elif error.field and error.field.startswith("definition"):
            errors.append({"tile": tile_id, "field": error.field, "message": error.message})
            error_where = "Flow"
    tile_errors = {e["tile"]: e["message"] for e in errors if e["tile"]}
    totals = journey_totals(session, [journey.id]).get(journey.id, {})
    return {
        "journey": {
            **services.journey_public(journey),
            "entered": totals.get("entered", 0),
            "active": totals.get("active", 0),
            "completed": totals.get("completed", 0),
            "target": saved_settings.get("target", "contact"),
            "owner": owner_names.get(journey.owner_id) if journey.owner_id else None,
        },
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


def _clock(moment: datetime) -> str:
    return moment.strftime("%H:%M:%S UTC")


STATUS_WORDS = {
    "due": "on its way",
    "waiting": "waiting",
    "done": "finished",
    "exited": "left",
}
OUTCOME_WORDS = {
    "passed": "",
    "sent": "sent",
    "capped": "held back by the frequency cap",
    "yes": "yes",
    "no": "no",
    "exited": "left",
}


def _moment(value: datetime) -> str:
    return value.strftime("%Y-%m-%d %H:%M")


def contact_panel_items(entries: list[services.ContactJourney]) -> list[dict[str, Any]]:
    """A contact's journeys as its page lists them: where it stands and its steps, in words."""
    items = []
    for entry in entries:
        status = STATUS_WORDS.get(entry.status, entry.status)
        if entry.status == "exited" and entry.exit_reason:
            status = f"left ({humanize(entry.exit_reason).lower()})"
        steps = []
        for step in entry.steps:
            outcome = OUTCOME_WORDS.get(step.outcome, step.outcome)
            if step.outcome == "branch":
                outcome = f"branch {chr(65 + (step.branch or 0))}"
            if step.detail:
                outcome = f"{outcome}: {step.detail}" if outcome else step.detail
            steps.append({"at": _moment(step.at), "tile": step.tile_label, "outcome": outcome})
        items.append(
            {
                "journey_id": entry.journey_id,
                "name": entry.journey_name,
                "entry_number": entry.entry_number,
                "status": entry.status,
                "status_words": status,
                "current": entry.tile_label if entry.status in ("due", "waiting") else None,
                "due_at": None,
                "entered_at": _moment(entry.entered_at),
                "steps": steps,
            }
        )
    return items


@detail_panel("contact", order=65, key="journeys")
def contact_journeys_panel(context: PanelContext) -> Markup | None:
    if not role_allows(context.principal.role, Permission.JOURNEYS_READ):
        return None
    entries = services.contact_journeys(context.session, context.record_id)
    return render_fragment("journeys/contact_panel.html", items=contact_panel_items(entries))
