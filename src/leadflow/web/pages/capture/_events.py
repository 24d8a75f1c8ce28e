"""Signed-in pages of events: the list with the new-event form, an event with its
registrations and check-in."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from leadflow.capture import services
from leadflow.capture.domain import EventMatchOn
from leadflow.users.domain import Permission, role_allows
from leadflow.users.services import Principal
from leadflow.web.auth import Authorize, container_of
from leadflow.web.calls import PageCall, page_call, see_other
from leadflow.web.pages.render import render
from leadflow.web.pages.settings_forms import FormState, checked, text_of, when

MATCH_ON_LABELS = {
    EventMatchOn.EMAIL.value: "Email",
    EventMatchOn.NAME.value: "First and last name",
    EventMatchOn.EMAIL_AND_NAME.value: "Email, first and last name",
}


EVENT_INPUTS = ("name", "starts_at", "ends_at", "capacity", "venue", "match_on", "campaign")


events_router = APIRouter(include_in_schema=False)
reading_events = Authorize(Permission.EVENTS_READ)
can_write_events = Authorize(Permission.EVENTS_WRITE)
writing_events = page_call(Permission.EVENTS_WRITE)


def events_page(
    request: Request, principal: Principal, state: FormState, status: int = 200
) -> Response:
    with container_of(request).read_session() as session:
        events = services.list_events(session)
    context = {
        "events": events,
        "state": state,
        "match_on": list(MATCH_ON_LABELS.items()),
        "when": when,
        "can_write": role_allows(principal.role, Permission.EVENTS_WRITE),
    }
    return render(request, "capture/events.html", context, status=status)


@events_router.get("/events")
def list_events(request: Request, principal: Principal = Depends(reading_events)) -> Response:
    return events_page(request, principal, FormState({"match_on": "email"}))


@events_router.post("/events")
def create_event(call: PageCall = writing_events) -> Response:
    values = {name: text_of(call.form, name) for name in EVENT_INPUTS}
    data: dict[str, Any] = {**values, "create_leads": checked(call.form, "create_leads")}
    data["capacity"] = values["capacity"] or None
    return call.run(
        lambda uow: services.do_create_event(data, uow=uow),
        done=lambda event_row: see_other(f"/events/{event_row.id}"),
        failed=lambda exc: events_page(
            call.request,
            call.principal,
            FormState.failed(values, exc, EVENT_INPUTS),
            exc.http_status,
        ),
    )


@events_router.get("/events/{event_id:int}")
def show_event(
    request: Request, event_id: int, principal: Principal = Depends(reading_events)
) -> Response:
    with container_of(request).read_session() as session:
        event_row = services.get_event(session, event_id)
        registrations = services.list_registrations(session, event_id)
    context = {
        "event": event_row,
        "registrations": registrations,
        "match_on": MATCH_ON_LABELS,
        "when": when,
        "can_write": role_allows(principal.role, Permission.EVENTS_WRITE),
    }
    return render(request, "capture/event_detail.html", context)


@events_router.post("/events/{event_id:int}/registrations/{registration_id:int}/check-in")
def check_in(event_id: int, registration_id: int, call: PageCall = writing_events) -> Response:
    call.write(lambda uow: services.do_check_in(event_id, registration_id, uow=uow))
    return see_other(f"/events/{event_id}")
