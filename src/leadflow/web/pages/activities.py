"""Pages of activities: the call list, and the calls and notes panel on leads and contacts."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from markupsafe import Markup

from leadflow.activities import services as activities
from leadflow.activities.domain import CallOutcome
from leadflow.db.uow import UnitOfWork
from leadflow.errors import ErrorCode, LeadflowError, ValidationFailed
from leadflow.lib.clock import as_utc, utcnow
from leadflow.users.domain import Permission as P
from leadflow.users.domain import role_allows
from leadflow.users.services import Principal
from leadflow.web.auth import Authorize, container_of
from leadflow.web.calls import PageCall, page_call
from leadflow.web.pages.display import duration
from leadflow.web.pages.panels import PanelContext, detail_panel, render_fragment
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


def _when(raw: str) -> datetime | None:
    """A `datetime-local` value, read as UTC like every time the pages show."""
    if not raw:
        return None
    try:
        return as_utc(datetime.fromisoformat(raw))
    except ValueError:
        raise ValidationFailed(
            "Give the next call as a date and time",
            field="next_call_at",
            code=ErrorCode.NOT_A_DATETIME,
        ) from None


def _back(path: str, **params: str) -> RedirectResponse:
    return RedirectResponse(f"{path}?{urlencode(params)}#activities", status_code=303)


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
def log_call(lead_id: int, call: PageCall = page_call(P.INTERACTIONS_WRITE)) -> Response:
    back = "/call-list" if call.text("back") == "call-list" else f"/leads/{lead_id}"
    return call.run(
        lambda uow: activities.do_log_call(
            lead_id,
            call.text("outcome"),
            notes=call.text("notes"),
            next_call_at=_when(call.text("next_call_at")),
            user_id=call.user_id,
            uow=uow,
        ),
        done=lambda _: _back(back, adone="Call logged."),
        failed=lambda exc: _back(f"/leads/{lead_id}", aerr=exc.message),
    )


def _add_note(call: PageCall, entity: str, plural: str, record_id: int) -> Response:
    path = f"/{plural}/{record_id}"

    def add(uow: UnitOfWork) -> None:
        check_reach(uow.session, entity, record_id, call.principal)
        activities.do_add_note(
            call.text("notes"), uow=uow, user_id=call.user_id, **{f"{entity}_id": record_id}
        )

    def refused(exc: LeadflowError) -> Response:
        if exc.http_status == 404:
            raise exc
        return _back(path, aerr=exc.message)

    return call.run(add, done=lambda _: _back(path, adone="Note saved."), failed=refused)


@router.post("/leads/{record_id:int}/activities/note", name="lead_note")
def lead_note(record_id: int, call: PageCall = page_call(P.LEADS_WRITE)) -> Response:
    return _add_note(call, "lead", "leads", record_id)


@router.post("/contacts/{record_id:int}/activities/note", name="contact_note")
def contact_note(record_id: int, call: PageCall = page_call(P.CONTACTS_WRITE)) -> Response:
    return _add_note(call, "contact", "contacts", record_id)
