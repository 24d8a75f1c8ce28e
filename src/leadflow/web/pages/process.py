"""Pages of the process capability: the process bar and timeline on the lead page, the queue
pages, the dashboard, process settings, saved-view creation and notifications.

Thin over the services: a refused move comes back to the lead page with the
message beside the step at fault.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import yaml
from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from markupsafe import Markup
from sqlalchemy import select
from starlette.datastructures import FormData

from leadflow.db.uow import UnitOfWork
from leadflow.errors import LeadflowError, ValidationFailed
from leadflow.leads.domain import LeadStatus, LeadStatusReason, reason_fits
from leadflow.lib.records import to_public
from leadflow.process import services as process
from leadflow.sales import services as sales
from leadflow.users.domain import Permission, Role, role_allows
from leadflow.users.models import User
from leadflow.users.services import Principal
from leadflow.views import dashboard as dashboards
from leadflow.web.api.process import parse_definition_text
from leadflow.web.auth import Authorize, container_of
from leadflow.web.pages.forms import build_form, changes, current_values, submitted_values
from leadflow.web.pages.lookups import reference_options
from leadflow.web.pages.panels import PanelContext, detail_panel, render_fragment
from leadflow.web.pages.records import form_data
from leadflow.web.pages.render import render
from leadflow.web.reach import scope_of

DISQUALIFY_REASONS = [
    reason.value for reason in LeadStatusReason if reason_fits(LeadStatus.DISQUALIFIED, reason)
]


def duration(seconds: float | int | None) -> str:
    """'3 d 4 h', '2 h 5 min', '40 s'."""
    if seconds is None:
        return "—"
    total = int(seconds)
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes} min"
    if minutes:
        return f"{minutes} min"
    return f"{secs} s"


def _users_of(session: Any, role: Role) -> list[tuple[int, str]]:
    rows = session.execute(
        select(User.id, User.name)
        .where(User.role == role.value, User.is_active.is_(True))
        .order_by(User.name)
    )
    return [(int(user_id), str(name)) for user_id, name in rows]


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
        salespeople=_users_of(context.session, Role.SALESPERSON),
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


def _back(lead_id: int, **params: str | None) -> RedirectResponse:
    kept = {key: value for key, value in params.items() if value}
    query = f"?{urlencode(kept)}" if kept else ""
    return RedirectResponse(f"/leads/{lead_id}{query}#process", status_code=303)


def _lead_action(
    request: Request,
    lead_id: int,
    stage: str | None,
    action: Callable[[UnitOfWork], Any],
    done: str,
) -> RedirectResponse:
    try:
        action(container_of(request).uow())
    except LeadflowError as exc:
        return _back(lead_id, stage=stage, perr=exc.message, pfield=exc.field)
    return _back(lead_id, pdone=done)


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def lead_routes() -> APIRouter:
    router = APIRouter(include_in_schema=False)
    can_move = Authorize(Permission.PROCESS_WRITE)
    can_qualify = Authorize(Permission.LEADS_QUALIFY)
    can_assign = Authorize(Permission.LEADS_ASSIGN)
    can_write = Authorize(Permission.LEADS_WRITE)

    @router.post("/leads/{lead_id:int}/process/steps")
    def save_steps(
        request: Request,
        lead_id: int,
        principal: Principal = Depends(can_write),
        form: FormData = Depends(form_data),
    ) -> Response:
        from leadflow.leads.services import get_lead

        stage_key = _text(form, "stage")

        def save(uow: UnitOfWork) -> None:
            # The stage's fields are read in the unit that saves them, so one session serves.
            bar = process.instance_view(uow.session, lead_id)
            if bar is None:
                raise ValidationFailed("The lead has no process", field="stage")
            stage = next((s for s in bar["stages"] if s["key"] == stage_key), None)
            if stage is None:
                raise ValidationFailed(f"No stage '{stage_key}'", field="stage")
            definitions = [uow.registry.field("lead", s["field"]) for s in stage["steps"]]
            record = to_public(get_lead(uow.session, lead_id), uow.registry, "lead")
            data = changes(
                definitions,
                submitted_values(definitions, form),
                current_values(definitions, record),
            )
            process.do_save_steps(lead_id, data, uow=uow)

        with container_of(request).uow() as uow:
            try:
                save(uow)
            except LeadflowError as exc:
                return _back(lead_id, stage=stage_key, perr=exc.message, pfield=exc.field)
        # Ticking a step can move the lead (sales ready, accepted): show where it stands now.
        return _back(lead_id, pdone="Steps saved.")

    @router.post("/leads/{lead_id:int}/process/next")
    def next_stage(
        request: Request,
        lead_id: int,
        principal: Principal = Depends(can_move),
        form: FormData = Depends(form_data),
    ) -> Response:
        return _lead_action(
            request,
            lead_id,
            _text(form, "stage"),
            lambda uow: process.do_next_stage(lead_id, uow=uow, actor_user_id=principal.user_id),
            "Moved to the next stage.",
        )

    @router.post("/leads/{lead_id:int}/process/set-active")
    def set_active(
        request: Request,
        lead_id: int,
        principal: Principal = Depends(can_move),
        form: FormData = Depends(form_data),
    ) -> Response:
        stage = _text(form, "stage")
        return _lead_action(
            request,
            lead_id,
            stage,
            lambda uow: process.do_set_active_stage(
                lead_id, stage, uow=uow, actor_user_id=principal.user_id
            ),
            "Stage set active.",
        )

    @router.post("/leads/{lead_id:int}/qualify")
    def qualify(
        request: Request,
        lead_id: int,
        principal: Principal = Depends(can_qualify),
        form: FormData = Depends(form_data),
    ) -> Response:
        options = sales.QualifyOptions(
            create_opportunity=bool(form.get("create_opportunity")),
            use_or_create_contact=bool(form.get("use_or_create_contact")),
            use_or_create_account=bool(form.get("use_or_create_account")),
        )
        try:
            result = sales.do_qualify_lead(
                lead_id,
                uow=container_of(request).uow(),
                options=options,
                by_user_id=principal.user_id,
            )
        except LeadflowError as exc:
            return _back(lead_id, perr=exc.message, pfield=exc.field)
        if result.opportunity_id is not None:
            return RedirectResponse(f"/opportunities/{result.opportunity_id}", status_code=303)
        return _back(lead_id, pdone="The lead is qualified.")

    @router.post("/leads/{lead_id:int}/disqualify")
    def disqualify(
        request: Request,
        lead_id: int,
        principal: Principal = Depends(can_qualify),
        form: FormData = Depends(form_data),
    ) -> Response:
        reason = _text(form, "status_reason")
        return _lead_action(
            request,
            lead_id,
            None,
            lambda uow: sales.do_disqualify_lead(
                lead_id, reason, uow=uow, by_user_id=principal.user_id
            ),
            "The lead is disqualified.",
        )

    @router.post("/leads/{lead_id:int}/reactivate")
    def reactivate(
        request: Request, lead_id: int, principal: Principal = Depends(can_qualify)
    ) -> Response:
        return _lead_action(
            request,
            lead_id,
            None,
            lambda uow: sales.do_reactivate_lead(lead_id, uow=uow, by_user_id=principal.user_id),
            "The lead is open again.",
        )

    @router.post("/leads/{lead_id:int}/recycle")
    def recycle(
        request: Request,
        lead_id: int,
        principal: Principal = Depends(can_qualify),
        form: FormData = Depends(form_data),
    ) -> Response:
        reason = _text(form, "reason")
        return _lead_action(
            request,
            lead_id,
            None,
            lambda uow: sales.do_recycle_lead(
                lead_id, reason, uow=uow, by_user_id=principal.user_id
            ),
            "The lead went back to marketing.",
        )

    @router.post("/leads/{lead_id:int}/accept")
    def accept(
        request: Request,
        lead_id: int,
        principal: Principal = Depends(can_assign),
        form: FormData = Depends(form_data),
    ) -> Response:
        chosen = _text(form, "user_id")
        user_id = int(chosen) if chosen.isdigit() else None
        back = _text(form, "back")
        try:
            sales.do_accept_lead(
                lead_id, user_id, uow=container_of(request).uow(), by_user_id=principal.user_id
            )
        except LeadflowError as exc:
            if back == "queues":
                return RedirectResponse(
                    f"/queues?{urlencode({'error': exc.message, 'lead': lead_id})}",
                    status_code=303,
                )
            return _back(lead_id, perr=exc.message, pfield=exc.field)
        if back == "queues":
            return RedirectResponse("/queues?done=accepted", status_code=303)
        return _back(lead_id, pdone="Assigned and accepted.")

    return router


def feature_routes() -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/queues")
    def queues(
        request: Request, principal: Principal = Depends(Authorize(Permission.TASKS_READ))
    ) -> Response:
        with container_of(request).read_session() as session:
            context = {
                "queues": [
                    (key, label, sales.queue_items(session, key))
                    for key, label in sales.QUEUE_LABELS.items()
                ],
                "salespeople": _users_of(session, Role.SALESPERSON),
                "can_assign": role_allows(principal.role, Permission.LEADS_ASSIGN),
                "notifications": sales.notifications(session, principal.user_id, limit=10),
                "unread": sales.unread_count(session, principal.user_id),
                "error": request.query_params.get("error"),
                "error_lead": request.query_params.get("lead"),
                "done": request.query_params.get("done"),
            }
        return render(request, "process/queues.html", context)

    @router.get("/dashboard")
    def dashboard(
        request: Request, principal: Principal = Depends(Authorize(Permission.DASHBOARDS_READ))
    ) -> Response:
        with container_of(request).read_session() as session:
            data = dashboards.dashboard(session)
            overdue = sales.overdue_tasks(session)
        peak = max([day["count"] for day in data["sales_ready_per_day"]] or [1])
        return render(
            request,
            "process/dashboard.html",
            {"data": data, "duration": duration, "peak": peak, "overdue": overdue},
        )

    @router.get("/notifications")
    def notifications(
        request: Request, principal: Principal = Depends(Authorize(None))
    ) -> Response:
        with container_of(request).read_session() as session:
            items = sales.notifications(session, principal.user_id, limit=100)
            unread = sales.unread_count(session, principal.user_id)
        return render(request, "sales/notifications.html", {"items": items, "unread": unread})

    @router.post("/notifications/read")
    def read_notifications(
        request: Request, principal: Principal = Depends(Authorize(None))
    ) -> Response:
        sales.do_mark_read(principal.user_id, uow=container_of(request).uow())
        return RedirectResponse("/notifications", status_code=303)

    can_admin = Authorize(Permission.PROCESS_ADMIN)

    def settings_page(request: Request, error: str | None = None, status: int = 200) -> Response:
        with container_of(request).read_session() as session:
            context = {
                "definitions": process.list_definitions(session),
                "deadlines": sales.deadlines(session),
                "queues": sales.QUEUE_LABELS,
                "default_hours": sales.DEFAULT_DEADLINE_HOURS,
                "error": error,
                "done": request.query_params.get("done"),
            }
            default = process.load_definition(session, process.default_process_key(session))
            context["default"] = default
            registry = container_of(request).registry()
            context["transitions"] = process.transitions_view(session, default, registry)
            context["stages"] = process.stages_view(default, registry, sales.QUEUE_LABELS)
        return render(request, "process/settings.html", context, status=status)

    @router.get("/settings/process")
    def process_settings(request: Request, principal: Principal = Depends(can_admin)) -> Response:
        return settings_page(request)

    @router.get("/settings/process/{key}/export.{fmt}")
    def export(
        request: Request, key: str, fmt: str, principal: Principal = Depends(can_admin)
    ) -> Response:
        with container_of(request).read_session() as session:
            data = process.export_definition(session, key)
        headers = {"content-disposition": f'attachment; filename="{key}.{fmt}"'}
        if fmt == "yaml":
            return Response(
                yaml.safe_dump(data, sort_keys=False),
                media_type="application/yaml",
                headers=headers,
            )
        return Response(json.dumps(data, indent=2), media_type="application/json", headers=headers)

    @router.post("/settings/process/import")
    async def import_definition(
        request: Request, principal: Principal = Depends(can_admin)
    ) -> Response:
        form = await request.form()
        text = form.get("definition")
        upload = form.get("file")
        if upload is not None and not isinstance(upload, str):
            text = (await upload.read()).decode("utf-8", errors="replace") or text
        content_type = "json" if isinstance(text, str) and text.lstrip().startswith("{") else "yaml"
        try:
            data = parse_definition_text(text if isinstance(text, str) else "", content_type)
            row = process.do_save_definition(data, uow=container_of(request).uow())
        except LeadflowError as exc:
            return settings_page(request, error=exc.message, status=exc.http_status)
        return RedirectResponse(
            f"/settings/process?{urlencode({'done': f'Imported as version {row.version}.'})}",
            status_code=303,
        )

    @router.post("/settings/process/{key}/transitions/{transition}/switch")
    def switch_transition(
        request: Request,
        key: str,
        transition: str,
        principal: Principal = Depends(can_admin),
        form: FormData = Depends(form_data),
    ) -> Response:
        enabled = _text(form, "enabled") == "true"
        try:
            row = process.do_set_transition_enabled(
                key, transition, enabled, uow=container_of(request).uow()
            )
            version = row.version
        except LeadflowError as exc:
            return settings_page(request, error=exc.message, status=exc.http_status)
        note = f"Automatic move switched {'on' if enabled else 'off'}: version {version}."
        return RedirectResponse(f"/settings/process?{urlencode({'done': note})}", status_code=303)

    @router.post("/settings/process/deadlines")
    def save_deadline(
        request: Request,
        principal: Principal = Depends(can_admin),
        form: FormData = Depends(form_data),
    ) -> Response:
        try:
            hours = float(_text(form, "hours"))
        except ValueError:
            return settings_page(request, error="Hours must be a number", status=422)
        try:
            sales.do_set_deadline(_text(form, "queue"), hours, uow=container_of(request).uow())
        except LeadflowError as exc:
            return settings_page(request, error=exc.message, status=exc.http_status)
        return RedirectResponse("/settings/process?done=Deadline+saved.", status_code=303)

    @router.post("/settings/process/check-deadlines")
    def run_check(request: Request, principal: Principal = Depends(can_admin)) -> Response:
        escalated = sales.do_check_deadlines(uow=container_of(request).uow())
        note = f"{len(escalated)} overdue task(s) escalated."
        return RedirectResponse(f"/settings/process?{urlencode({'done': note})}", status_code=303)

    return router


def routers() -> list[APIRouter]:
    return [lead_routes(), feature_routes()]
