"""Pages of the business process: the process bar and stage timeline on the lead page,
the step fields and moves posted from it, and the process settings.

Thin over the services: a refused move comes back to the lead page with the
message beside the step at fault.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from urllib.parse import urlencode

import yaml
from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from markupsafe import Markup
from sqlalchemy import select
from starlette.datastructures import FormData

from leadflow.db.uow import UnitOfWork
from leadflow.errors import ErrorCode, LeadflowError, ValidationFailed
from leadflow.leads.domain import LeadStatus, LeadStatusReason, reason_fits
from leadflow.leads.services import get_lead
from leadflow.process import services as process
from leadflow.process.schemas import parse_definition_text
from leadflow.records.values import to_public
from leadflow.sales import services as sales
from leadflow.users.domain import Permission, Role, role_allows
from leadflow.users.models import User
from leadflow.users.services import Principal
from leadflow.web.auth import Authorize, container_of
from leadflow.web.calls import PageCall, page_call, see_other
from leadflow.web.pages.display import duration
from leadflow.web.pages.forms import (
    build_form,
    changes,
    current_values,
    submitted_values,
)
from leadflow.web.pages.lead_actions import run_lead_action
from leadflow.web.pages.lookups import reference_options, users_with_role
from leadflow.web.pages.panels import PanelContext, detail_panel, render_fragment
from leadflow.web.pages.render import render
from leadflow.web.reach import scope_of

DISQUALIFY_REASONS = [
    reason.value for reason in LeadStatusReason if reason_fits(LeadStatus.DISQUALIFIED, reason)
]

router = APIRouter(include_in_schema=False)
moving = page_call(Permission.PROCESS_WRITE)
writing = page_call(Permission.LEADS_WRITE)
administering = page_call(Permission.PROCESS_ADMIN)
can_admin = Depends(Authorize(Permission.PROCESS_ADMIN))


# --- The lead page's panels ------------------------------------------------------------------


@detail_panel("lead", slot="top", order=10)
def process_bar(context: PanelContext) -> Markup | None:
    """The bar across the lead page: stages, the active one, time in it, the selected stage's
    step fields with "Next stage" and "Set active"."""
    bar = process.instance_view(context.session, context.record_id)
    if bar is None:
        return None
    query = context.request.query_params
    selected = query.get("stage") or bar["stage"]
    if selected not in {stage["key"] for stage in bar["stages"]}:
        selected = bar["stage"]
    stage = next(s for s in bar["stages"] if s["key"] == selected)
    registry = context.registry
    definitions = [registry.field("lead", step["field"]) for step in stage["steps"]]
    values = current_values(definitions, context.record)
    error_field = query.get("pfield")
    error = query.get("perr")
    options = {
        d.name: reference_options(
            context.session,
            registry,
            str(d.reference),
            scope_of(str(d.reference), context.principal),
        )
        for d in definitions
        if d.reference
    }
    fields = build_form(
        definitions,
        values,
        creating=False,
        errors={error_field: error} if error and error_field else None,
        reference_options=options,
    )
    required = {step["field"] for step in stage["steps"] if step["required"]}
    role = context.principal.role
    return render_fragment(
        "process/bar.html",
        bar=bar,
        stage=stage,
        selected=selected,
        fields=fields,
        required=required,
        error=error
        if not error_field or error_field not in required | {f.name for f in fields}
        else None,
        time_in_stage=duration(bar["seconds_in_stage"]),
        lead=context.record,
        csrf_token=context.csrf_token,
        can_move=role_allows(role, Permission.PROCESS_WRITE) and bar["status"] == "active",
        can_qualify=role_allows(role, Permission.LEADS_QUALIFY),
        can_assign=role_allows(role, Permission.LEADS_ASSIGN),
        salespeople=users_with_role(context.session, Role.SALESPERSON),
        disqualify_reasons=DISQUALIFY_REASONS,
        notice=query.get("pdone"),
    )


@detail_panel("lead", slot="main", order=10)
def stage_timeline(context: PanelContext) -> Markup | None:
    entries = process.timeline(context.session, context.record_id)
    users = dict(
        context.session.execute(
            select(User.id, User.name).where(
                User.id.in_({e.actor_user_id for e in entries if e.actor_user_id})
            )
        ).all()
    )
    return render_fragment(
        "process/timeline.html",
        entries=entries,
        users=users,
        duration=duration,
        tasks=sales.open_tasks(context.session, context.record_id),
        assignments=sales.assignments(context.session, context.record_id),
        recycles=sales.recycle_count(context.session, context.record_id),
    )


# --- Posted from the process bar -------------------------------------------------------------


def _save_steps(lead_id: int, stage_key: str, form: FormData, uow: UnitOfWork) -> None:
    """Save the stage's step fields as posted; the fields are read in the unit that saves
    them, so one session serves."""
    bar = process.instance_view(uow.session, lead_id)
    if bar is None:
        raise ValidationFailed(
            "The lead has no process", field="stage", code=ErrorCode.PROCESS_NOT_ACTIVE
        )
    stage = next((s for s in bar["stages"] if s["key"] == stage_key), None)
    if stage is None:
        raise ValidationFailed(
            f"No stage '{stage_key}'", field="stage", code=ErrorCode.STAGE_UNKNOWN
        )
    definitions = [uow.registry.field("lead", s["field"]) for s in stage["steps"]]
    record = to_public(get_lead(uow.session, lead_id), uow.registry, "lead")
    data = changes(
        definitions, submitted_values(definitions, form), current_values(definitions, record)
    )
    process.do_save_steps(lead_id, data, uow=uow)


@router.post("/leads/{lead_id:int}/process/steps")
def save_steps(lead_id: int, call: PageCall = writing) -> Response:
    # Ticking a step can move the lead (sales ready, accepted): show where it stands now.
    stage = call.text("stage")
    return run_lead_action(
        call,
        lead_id,
        lambda uow: _save_steps(lead_id, stage, call.form, uow),
        "Steps saved.",
        stage=stage,
    )


@router.post("/leads/{lead_id:int}/process/next")
def next_stage(lead_id: int, call: PageCall = moving) -> Response:
    return run_lead_action(
        call,
        lead_id,
        lambda uow: process.do_next_stage(lead_id, uow=uow, actor_user_id=call.user_id),
        "Moved to the next stage.",
        stage=call.text("stage"),
    )


@router.post("/leads/{lead_id:int}/process/set-active")
def set_active(lead_id: int, call: PageCall = moving) -> Response:
    stage = call.text("stage")
    return run_lead_action(
        call,
        lead_id,
        lambda uow: process.do_set_active_stage(
            lead_id, stage, uow=uow, actor_user_id=call.user_id
        ),
        "Stage set active.",
        stage=stage,
    )


# --- Process settings ------------------------------------------------------------------------


def _settings_page(request: Request, error: str | None = None, status: int = 200) -> Response:
    container = container_of(request)
    with container.read_session() as session:
        default = process.load_definition(session, process.default_process_key(session))
        registry = container.registry()
        context = {
            "definitions": process.list_definitions(session),
            "deadlines": sales.deadlines(session),
            "queues": sales.QUEUE_LABELS,
            "default_hours": sales.DEFAULT_DEADLINE_HOURS,
            "error": error,
            "done": request.query_params.get("done"),
            "default": default,
            "transitions": process.transitions_view(session, default, registry),
            "stages": process.stages_view(default, registry, sales.QUEUE_LABELS),
        }
    return render(request, "process/settings.html", context, status=status)


def _settings_done(note: str) -> RedirectResponse:
    return see_other(f"/settings/process?{urlencode({'done': note})}")


def _settings_refused(request: Request) -> Callable[[LeadflowError], Response]:
    """The settings page again, the error at its top."""
    return lambda exc: _settings_page(request, error=exc.message, status=exc.http_status)


@router.get("/settings/process")
def process_settings(request: Request, principal: Principal = can_admin) -> Response:
    return _settings_page(request)


@router.get("/settings/process/{key}/export.{fmt}")
def export(request: Request, key: str, fmt: str, principal: Principal = can_admin) -> Response:
    with container_of(request).read_session() as session:
        data = process.export_definition(session, key)
    headers = {"content-disposition": f'attachment; filename="{key}.{fmt}"'}
    if fmt == "yaml":
        return Response(
            yaml.safe_dump(data, sort_keys=False), media_type="application/yaml", headers=headers
        )
    return Response(json.dumps(data, indent=2), media_type="application/json", headers=headers)


@router.post("/settings/process/import")
async def import_definition(call: PageCall = administering) -> Response:
    text = call.form.get("definition")
    upload = call.form.get("file")
    if upload is not None and not isinstance(upload, str):
        text = (await upload.read()).decode("utf-8", errors="replace") or text
    content_type = "json" if isinstance(text, str) and text.lstrip().startswith("{") else "yaml"
    return call.run(
        lambda uow: process.do_save_definition(
            parse_definition_text(text if isinstance(text, str) else "", content_type), uow=uow
        ),
        done=lambda row: _settings_done(f"Imported as version {row.version}."),
        failed=_settings_refused(call.request),
    )


@router.post("/settings/process/{key}/transitions/{transition}/switch")
def switch_transition(key: str, transition: str, call: PageCall = administering) -> Response:
    enabled = call.text("enabled") == "true"
    return call.run(
        lambda uow: process.do_set_transition_enabled(key, transition, enabled, uow=uow),
        done=lambda row: _settings_done(
            f"Automatic move switched {'on' if enabled else 'off'}: version {row.version}."
        ),
        failed=_settings_refused(call.request),
    )


@router.post("/settings/process/deadlines")
def save_deadline(call: PageCall = administering) -> Response:
    try:
        hours = float(call.text("hours"))
    except ValueError:
        return _settings_page(call.request, error="Hours must be a number", status=422)
    return call.run(
        lambda uow: sales.do_set_deadline(call.text("queue"), hours, uow=uow),
        done="/settings/process?done=Deadline+saved.",
        failed=_settings_refused(call.request),
    )


@router.post("/settings/process/check-deadlines")
def run_check(call: PageCall = administering) -> Response:
    escalated = call.write(lambda uow: sales.do_check_deadlines(uow=uow))
    return _settings_done(f"{len(escalated)} overdue task(s) escalated.")
