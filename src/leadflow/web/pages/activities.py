"""Pages of activities: the call list, and the calls and notes panel on leads and contacts."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from markupsafe import Markup
from starlette.datastructures import FormData

from leadflow.activities import services as activities
from leadflow.activities.domain import CallOutcome
from leadflow.errors import LeadflowError, ValidationFailed
from leadflow.lib.clock import as_utc, utcnow
from leadflow.users.domain import Permission as P
from leadflow.users.domain import role_allows
from leadflow.users.services import Principal
from leadflow.web.auth import Authorize, container_of
from leadflow.web.pages.display import duration
from leadflow.web.pages.panels import PanelContext, detail_panel, render_fragment
from leadflow.web.pages.records import form_data
from leadflow.web.pages.render import render
from leadflow.web.reach import check_reach

OUTCOMES = [(outcome.value, outcome.label) for outcome in CallOutcome]


def _ago(moment: datetime | None) -> str:
    if moment is None:
        return "—"
    return duration((utcnow() - moment).total_seconds())


def _panel(context: PanelContext, *, can_call: bool, can_note: bool) -> Markup:
    query = context.request.query_params
    key = "lead_id" if context.entity == "lead" else "contact_id"
    items = activities.activities_of(context.session, **{key: context.record_id})
    return render_fragment(
        "activities/panel.html",
        entity=context.entity,
        record_id=context.record_id,
        items=items,
        outcomes=OUTCOMES,
        can_call=can_call,
        can_note=can_note,
        csrf_token=context.csrf_token,
        error=query.get("aerr"),
        notice=query.get("adone"),
    )


@detail_panel("lead", slot="main", order=5)
def lead_activities(context: PanelContext) -> Markup | None:
    role = context.principal.role
    return _panel(
        context,
        can_call=role_allows(role, P.INTERACTIONS_WRITE),
        can_note=role_allows(role, P.LEADS_WRITE),
    )


@detail_panel("contact", slot="main", order=5)
def contact_activities(context: PanelContext) -> Markup | None:
    return _panel(
        context, can_call=False, can_note=role_allows(context.principal.role, P.CONTACTS_WRITE)
    )


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def _when(raw: str) -> datetime | None:
    """A `datetime-local` value, read as UTC like every time the pages show."""
    if not raw:
        return None
    try:
        return as_utc(datetime.fromisoformat(raw))
    except ValueError:
        raise ValidationFailed(
            "Give the next call as a date and time", field="next_call_at"
        ) from None


def _back(path: str, **params: str) -> RedirectResponse:
    return RedirectResponse(f"{path}?{urlencode(params)}#activities", status_code=303)


def routers() -> list[APIRouter]:
    router = APIRouter(include_in_schema=False)

    @router.get("/call-list")
    def call_list(
        request: Request, principal: Principal = Depends(Authorize(P.TASKS_READ))
    ) -> Response:
        with container_of(request).read_session() as session:
            items = activities.call_list(session)
        context: dict[str, Any] = {
            "items": items,
            "ago": _ago,
            "can_call": role_allows(principal.role, P.INTERACTIONS_WRITE),
        }
        return render(request, "activities/call_list.html", context)

    @router.post("/leads/{lead_id:int}/activities/call")
    def log_call(
        request: Request,
        lead_id: int,
        principal: Principal = Depends(Authorize(P.INTERACTIONS_WRITE)),
        form: FormData = Depends(form_data),
    ) -> Response:
        back = "/call-list" if _text(form, "back") == "call-list" else f"/leads/{lead_id}"
        try:
            activities.do_log_call(
                lead_id,
                _text(form, "outcome"),
                notes=_text(form, "notes"),
                next_call_at=_when(_text(form, "next_call_at")),
                user_id=principal.user_id,
                uow=container_of(request).uow(),
            )
        except LeadflowError as exc:
            return _back(f"/leads/{lead_id}", aerr=exc.message)
        return _back(back, adone="Call logged.")

    def note_route(entity: str, plural: str, permission: P) -> None:
        @router.post(f"/{plural}/{{record_id:int}}/activities/note", name=f"{entity}_note")
        def add_note(
            request: Request,
            record_id: int,
            principal: Principal = Depends(Authorize(permission)),
            form: FormData = Depends(form_data),
        ) -> Response:
            path = f"/{plural}/{record_id}"
            container = container_of(request)
            try:
                with container.uow() as uow:
                    check_reach(uow.session, entity, record_id, principal)
                    activities.do_add_note(
                        _text(form, "notes"),
                        uow=uow,
                        user_id=principal.user_id,
                        **{f"{entity}_id": record_id},
                    )
            except LeadflowError as exc:
                if exc.http_status == 404:
                    raise
                return _back(path, aerr=exc.message)
            return _back(path, adone="Note saved.")

    note_route("lead", "leads", P.LEADS_WRITE)
    note_route("contact", "contacts", P.CONTACTS_WRITE)
    return [router]
