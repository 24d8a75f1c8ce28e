"""API routes of the hand-over to sales: queues and tasks, deadlines, assignment,
qualification and the caller's notifications."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response
from sqlalchemy.orm import Session

from leadflow.db.uow import UnitOfWork
from leadflow.errors import ErrorCode, ValidationFailed
from leadflow.leads.models import Lead
from leadflow.records.values import to_public
from leadflow.sales import services as sales
from leadflow.sales.models import Task
from leadflow.sales.schemas import (
    AssignBody,
    DeadlineBody,
    DisqualifyBody,
    QualifyBody,
    RecycleBody,
    TaskBody,
)
from leadflow.users.domain import Permission
from leadflow.web.calls import ApiCall, api_call
from leadflow.web.openapi import problems

router = APIRouter(prefix="/api/v1", tags=["sales"])
reading_tasks = api_call(Permission.TASKS_READ)
writing_tasks = api_call(Permission.TASKS_WRITE)
assigning = api_call(Permission.LEADS_ASSIGN)
qualifying = api_call(Permission.LEADS_QUALIFY)
administering = api_call(Permission.PROCESS_ADMIN)
signed_in = api_call(None)
AT_CAPACITY = {409: "Every salesperson is at capacity, or the lead is read-only"}


def _task(task: Task) -> dict[str, Any]:
    return {
        "id": task.id,
        "lead_id": task.lead_id,
        "queue": task.queue,
        "stage": task.stage,
        "owner_id": task.owner_id,
        "title": task.title,
        "status": task.status,
        "due_at": task.due_at.isoformat() if task.due_at else None,
        "escalated_at": task.escalated_at.isoformat() if task.escalated_at else None,
    }


def _lead(lead: Lead, uow: UnitOfWork) -> dict[str, Any]:
    return to_public(lead, uow.registry, "lead")


def _task_of(task: Task, uow: UnitOfWork) -> dict[str, Any]:
    return _task(task)


@router.get("/queues/{queue}", summary="A queue's open tasks")
def queue(queue: str, call: ApiCall = reading_tasks) -> list[dict[str, Any]]:
    return [
        {
            "task_id": item.task_id,
            "lead_id": item.lead_id,
            "lead": item.lead_title,
            "person": item.person_name,
            "owner_id": item.owner_id,
            "due_at": item.due_at.isoformat() if item.due_at else None,
            "overdue": item.overdue,
            "escalated": item.escalated,
        }
        for item in call.read(lambda session: sales.queue_items(session, queue))
    ]


@router.get("/leads/{lead_id}/tasks", summary="Open tasks")
def lead_tasks(lead_id: int, call: ApiCall = reading_tasks) -> list[dict[str, Any]]:
    return call.read(lambda session: [_task(t) for t in sales.open_tasks(session, lead_id)])


@router.post(
    "/tasks",
    status_code=201,
    summary="Create a task",
    responses=problems(404, notes={404: "No lead has this lead_id"}),
)
def create_task(body: TaskBody, call: ApiCall = writing_tasks) -> dict[str, Any]:
    return call.run(
        lambda uow: sales.do_create_task(
            body.lead_id,
            queue=body.queue,
            owner_id=body.owner_id,
            title=body.title,
            hours=body.hours,
            uow=uow,
        ),
        _task_of,
    )


@router.post("/tasks/{task_id}/complete", summary="Complete a task")
def complete_task(task_id: int, call: ApiCall = writing_tasks) -> dict[str, Any]:
    return call.run(lambda uow: sales.do_complete_task(task_id, uow=uow), _task_of)


@router.post("/tasks/check-deadlines", summary="Escalate overdue tasks now")
def check_deadlines(call: ApiCall = administering) -> dict[str, Any]:
    escalated = call.write(lambda uow: sales.do_check_deadlines(uow=uow))
    return {"escalated_task_ids": escalated}


@router.get("/deadlines", summary="Speed-to-lead deadlines")
def get_deadlines(call: ApiCall = reading_tasks) -> dict[str, float]:
    return call.read(sales.deadlines)


@router.put("/deadlines", summary="Set a queue's deadline (hours)")
def put_deadline(body: DeadlineBody, call: ApiCall = administering) -> dict[str, float]:
    return call.run(
        lambda uow: sales.do_set_deadline(body.queue, body.hours, uow=uow),
        lambda _, uow: sales.deadlines(uow.session),
    )


@router.post(
    "/leads/{lead_id}/assign",
    summary="Assign to a user or round-robin",
    responses=problems(409, notes=AT_CAPACITY),
)
def assign(lead_id: int, body: AssignBody, call: ApiCall = assigning) -> dict[str, Any]:
    by_user_id, user_id = call.user_id, body.user_id
    if body.round_robin:
        record = call.write(
            lambda uow: sales.do_round_robin_assign(lead_id, uow=uow, by_user_id=by_user_id)
        )
    elif user_id is not None:
        record = call.write(
            lambda uow: sales.do_assign_lead(lead_id, user_id, uow=uow, by_user_id=by_user_id)
        )
    else:
        raise ValidationFailed(
            "Name a user or ask for round-robin",
            field="user_id",
            code=ErrorCode.USER_OR_ROLE_REQUIRED,
        )
    return {"lead_id": lead_id, "user_id": record.user_id, "reason": record.reason}


@router.post(
    "/leads/{lead_id}/accept",
    summary="Assign and tick sales accepted",
    responses=problems(409, notes=AT_CAPACITY),
)
def accept(lead_id: int, body: AssignBody, call: ApiCall = assigning) -> dict[str, Any]:
    return call.run(
        lambda uow: sales.do_accept_lead(lead_id, body.user_id, uow=uow, by_user_id=call.user_id),
        _lead,
    )


@router.post(
    "/leads/{lead_id}/qualify",
    summary="Qualify: opportunity, contact, account",
    responses=problems(409, notes={409: "The lead is not open"}),
)
def qualify(lead_id: int, body: QualifyBody, call: ApiCall = qualifying) -> dict[str, Any]:
    options = sales.QualifyOptions(**body.model_dump())
    result = call.write(
        lambda uow: sales.do_qualify_lead(
            lead_id, uow=uow, options=options, by_user_id=call.user_id
        )
    )
    return {
        "lead_id": result.lead_id,
        "opportunity_id": result.opportunity_id,
        "contact_id": result.contact_id,
        "account_id": result.account_id,
    }


@router.post(
    "/leads/{lead_id}/disqualify",
    summary="Disqualify with a status reason",
    responses=problems(409, notes={409: "The lead is not open, or an opportunity came from it"}),
)
def disqualify(lead_id: int, body: DisqualifyBody, call: ApiCall = qualifying) -> dict[str, Any]:
    return call.run(
        lambda uow: sales.do_disqualify_lead(
            lead_id, body.status_reason, uow=uow, by_user_id=call.user_id
        ),
        _lead,
    )


@router.post(
    "/leads/{lead_id}/reactivate",
    summary="Reopen a disqualified lead",
    responses=problems(409, notes={409: "Only a disqualified lead can be reactivated"}),
)
def reactivate(lead_id: int, call: ApiCall = qualifying) -> dict[str, Any]:
    return call.run(
        lambda uow: sales.do_reactivate_lead(lead_id, uow=uow, by_user_id=call.user_id), _lead
    )


@router.post(
    "/leads/{lead_id}/recycle",
    summary="Send the lead back to marketing",
    responses=problems(409, notes={409: "The lead is not open"}),
)
def recycle(lead_id: int, body: RecycleBody, call: ApiCall = qualifying) -> dict[str, Any]:
    return call.run(
        lambda uow: sales.do_recycle_lead(lead_id, body.reason, uow=uow, by_user_id=call.user_id),
        lambda _, uow: {"lead_id": lead_id, "recycled": sales.recycle_count(uow.session, lead_id)},
    )


@router.get("/notifications", summary="My notifications")
def my_notifications(call: ApiCall = signed_in) -> dict[str, Any]:
    def mine(session: Session) -> dict[str, Any]:
        rows = sales.notifications(session, call.user_id)
        return {
            "unread": sales.unread_count(session, call.user_id),
            "items": [
                {
                    "id": row.id,
                    "title": row.title,
                    "body": row.body,
                    "lead_id": row.lead_id,
                    "created_at": row.created_at.isoformat(),
                    "read": row.read_at is not None,
                }
                for row in rows
            ],
        }

    return call.read(mine)


@router.post("/notifications/read", status_code=204, summary="Mark my notifications read")
def read_notifications(call: ApiCall = signed_in) -> Response:
    call.write(lambda uow: sales.do_mark_read(call.user_id, uow=uow))
    return Response(status_code=204)
