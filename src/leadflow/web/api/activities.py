"""API of activities: log a call, write notes, read a record's activities, the call list."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from fastapi import APIRouter, Depends, Request

from leadflow.activities import services as activities
from leadflow.activities.schemas import ActivityList, ActivityOut, CallIn, CallList, NoteIn
from leadflow.users.domain import Permission as P
from leadflow.users.services import Principal
from leadflow.web.auth import Authorize, container_of
from leadflow.web.openapi import problems
from leadflow.web.reach import check_reach

NO_LEAD = {404: "No such lead"}
NO_CONTACT = {404: "No such contact, or none the caller may see"}


def router() -> APIRouter:
    api = APIRouter(prefix="/api/v1", tags=["activities"])

    @api.get("/call-list", response_model=CallList, summary="The telemarketing queue to call")
    def call_list(
        request: Request, principal: Principal = Depends(Authorize(P.TASKS_READ))
    ) -> dict[str, Any]:
        """Open telemarketing tasks as calls to make: person, phone, company, score and
        grade, last interaction, waiting since, next call planned; due calls first."""
        with container_of(request).read_session() as session:
            items = activities.call_list(session)
        return {"items": [asdict(item) for item in items]}

    @api.post(
        "/leads/{lead_id}/calls",
        status_code=201,
        response_model=ActivityOut,
        summary="Log a call on a lead",
        responses=problems(404, notes=NO_LEAD),
    )
    def log_call(
        request: Request,
        lead_id: int,
        body: CallIn,
        principal: Principal = Depends(Authorize(P.INTERACTIONS_WRITE)),
    ) -> dict[str, Any]:
        """Also recorded as a `call_logged` interaction of the lead's contact."""
        with container_of(request).uow() as uow:
            row = activities.do_log_call(
                lead_id,
                body.outcome.value,
                notes=body.notes,
                next_call_at=body.next_call_at,
                user_id=principal.user_id,
                uow=uow,
            )
            [view] = [
                each
                for each in activities.activities_of(uow.session, lead_id=lead_id, limit=5)
                if each.id == row.id
            ]
            return activities.public_activity(view)

    @api.post(
        "/leads/{lead_id}/notes",
        status_code=201,
        response_model=ActivityOut,
        summary="Write a note on a lead",
        responses=problems(404, notes=NO_LEAD),
    )
    def lead_note(
        request: Request,
        lead_id: int,
        body: NoteIn,
        principal: Principal = Depends(Authorize(P.LEADS_WRITE)),
    ) -> dict[str, Any]:
        with container_of(request).uow() as uow:
            row = activities.do_add_note(
                body.notes, lead_id=lead_id, user_id=principal.user_id, uow=uow
            )
            [view] = activities.activities_of(uow.session, lead_id=lead_id, limit=1)
            assert view.id == row.id
            return activities.public_activity(view)

    @api.post(
        "/contacts/{contact_id}/notes",
        status_code=201,
        response_model=ActivityOut,
        summary="Write a note on a contact",
        responses=problems(404, notes=NO_CONTACT),
    )
    def contact_note(
        request: Request,
        contact_id: int,
        body: NoteIn,
        principal: Principal = Depends(Authorize(P.CONTACTS_WRITE)),
    ) -> dict[str, Any]:
        with container_of(request).uow() as uow:
            check_reach(uow.session, "contact", contact_id, principal)
            row = activities.do_add_note(
                body.notes, contact_id=contact_id, user_id=principal.user_id, uow=uow
            )
            [view] = [
                each
                for each in activities.activities_of(uow.session, contact_id=contact_id, limit=5)
                if each.id == row.id
            ]
            return activities.public_activity(view)

    @api.get(
        "/leads/{lead_id}/activities",
        response_model=ActivityList,
        summary="A lead's calls and notes, newest first",
    )
    def lead_activities(
        request: Request, lead_id: int, principal: Principal = Depends(Authorize(P.LEADS_READ))
    ) -> dict[str, Any]:
        with container_of(request).read_session() as session:
            views = activities.activities_of(session, lead_id=lead_id)
        return {"items": [activities.public_activity(view) for view in views]}

    @api.get(
        "/contacts/{contact_id}/activities",
        response_model=ActivityList,
        summary="A contact's notes and the calls and notes of its leads, newest first",
        responses=problems(404, notes=NO_CONTACT),
    )
    def contact_activities(
        request: Request,
        contact_id: int,
        principal: Principal = Depends(Authorize(P.CONTACTS_READ)),
    ) -> dict[str, Any]:
        with container_of(request).read_session() as session:
            check_reach(session, "contact", contact_id, principal)
            views = activities.activities_of(session, contact_id=contact_id)
        return {"items": [activities.public_activity(view) for view in views]}

    return api


def routers() -> list[APIRouter]:
    return [router()]
