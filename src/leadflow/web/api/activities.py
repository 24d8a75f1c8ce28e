"""API of activities: log a call, write notes, read a record's activities, the call list."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from fastapi import APIRouter
from sqlalchemy.orm import Session

from leadflow.activities import services as activities
from leadflow.activities.models import Activity
from leadflow.activities.schemas import ActivityList, ActivityOut, CallIn, CallList, NoteIn
from leadflow.db.uow import UnitOfWork
from leadflow.users.domain import Permission as P
from leadflow.web.calls import ApiCall, api_call
from leadflow.web.openapi import problems
from leadflow.web.reach import check_reach

NO_LEAD = {404: "No such lead"}
NO_CONTACT = {404: "No such contact, or none the caller may see"}


router = APIRouter(prefix="/api/v1", tags=["activities"])


def _written(uow: UnitOfWork, row_id: int, **record: int) -> dict[str, Any]:
    """The answer to a write: the activity just stored, as the record's list shows it."""
    [view] = [
        each
        for each in activities.activities_of(uow.session, limit=5, **record)
        if each.id == row_id
    ]
    return activities.public_activity(view)


@router.get("/call-list", response_model=CallList, summary="The telemarketing queue to call")
def call_list(call: ApiCall = api_call(P.TASKS_READ)) -> dict[str, Any]:
    """Open telemarketing tasks as calls to make: person, phone, company, score and
    grade, last interaction, waiting since, next call planned; due calls first."""
    return {"items": [asdict(item) for item in call.read(activities.call_list)]}


@router.post(
    "/leads/{lead_id}/calls",
    status_code=201,
    response_model=ActivityOut,
    summary="Log a call on a lead",
    responses=problems(404, notes=NO_LEAD),
)
def log_call(
    lead_id: int, body: CallIn, call: ApiCall = api_call(P.INTERACTIONS_WRITE)
) -> dict[str, Any]:
    """Also recorded as a `call_logged` interaction of the lead's contact."""
    return call.run(
        lambda uow: activities.do_log_call(
            lead_id,
            body.outcome.value,
            notes=body.notes,
            next_call_at=body.next_call_at,
            user_id=call.user_id,
            uow=uow,
        ),
        lambda row, uow: _written(uow, row.id, lead_id=lead_id),
    )


@router.post(
    "/leads/{lead_id}/notes",
    status_code=201,
    response_model=ActivityOut,
    summary="Write a note on a lead",
    responses=problems(404, notes=NO_LEAD),
)
def lead_note(
    lead_id: int, body: NoteIn, call: ApiCall = api_call(P.LEADS_WRITE)
) -> dict[str, Any]:
    return call.run(
        lambda uow: activities.do_add_note(
            body.notes, lead_id=lead_id, user_id=call.user_id, uow=uow
        ),
        lambda row, uow: _written(uow, row.id, lead_id=lead_id),
    )


@router.post(
    "/contacts/{contact_id}/notes",
    status_code=201,
    response_model=ActivityOut,
    summary="Write a note on a contact",
    responses=problems(404, notes=NO_CONTACT),
)
def contact_note(
    contact_id: int, body: NoteIn, call: ApiCall = api_call(P.CONTACTS_WRITE)
) -> dict[str, Any]:
    def add(uow: UnitOfWork) -> Activity:
        check_reach(uow.session, "contact", contact_id, call.principal)
        return activities.do_add_note(
            body.notes, contact_id=contact_id, user_id=call.user_id, uow=uow
        )

    return call.run(add, lambda row, uow: _written(uow, row.id, contact_id=contact_id))


@router.get(
    "/leads/{lead_id}/activities",
    response_model=ActivityList,
    summary="A lead's calls and notes, newest first",
)
def lead_activities(lead_id: int, call: ApiCall = api_call(P.LEADS_READ)) -> dict[str, Any]:
    views = call.read(lambda session: activities.activities_of(session, lead_id=lead_id))
    return {"items": [activities.public_activity(view) for view in views]}


@router.get(
    "/contacts/{contact_id}/activities",
    response_model=ActivityList,
    summary="A contact's notes and the calls and notes of its leads, newest first",
    responses=problems(404, notes=NO_CONTACT),
)
def contact_activities(
    contact_id: int, call: ApiCall = api_call(P.CONTACTS_READ)
) -> dict[str, Any]:
    def reached(session: Session) -> list[Any]:
        check_reach(session, "contact", contact_id, call.principal)
        return activities.activities_of(session, contact_id=contact_id)

    views = call.read(reached)
    return {"items": [activities.public_activity(view) for view in views]}
