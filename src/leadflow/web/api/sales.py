"""API routes of the hand-over to sales: queues and tasks, deadlines, assignment,
qualification and the caller's notifications."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request, Response

from leadflow.errors import ValidationFailed
from leadflow.lib.records import to_public
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
from leadflow.users.services import Principal
from leadflow.web.auth import Authorize, container_of
from leadflow.web.openapi import problems

router = APIRouter(prefix="/api/v1", tags=["sales"])
can_read_tasks = Depends(Authorize(Permission.TASKS_READ))
can_write_tasks = Depends(Authorize(Permission.TASKS_WRITE))
can_assign = Depends(Authorize(Permission.LEADS_ASSIGN))
can_qualify = Depends(Authorize(Permission.LEADS_QUALIFY))
can_admin = Depends(Authorize(Permission.PROCESS_ADMIN))
signed_in = Depends(Authorize(None))
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


@router.get("/queues/{queue}", dependencies=[can_read_tasks], summary="A queue's open tasks")
def queue(request: Request, queue: str) -> list[dict[str, Any]]:
    with container_of(request).read_session() as session:
        return [
            {
                "task_id": item.task_id,
                "lead_id": item.lead_id,
                "lead": item.lead_title,
                "owner_id": item.owner_id,
                "due_at": item.due_at.isoformat() if item.due_at else None,
                "overdue": item.overdue,
                "escalated": item.escalated,
            }
            for item in sales.queue_items(session, queue)
        ]


@router.get("/leads/{lead_id}/tasks", dependencies=[can_read_tasks], summary="Open tasks")
def lead_tasks(request: Request, lead_id: int) -> list[dict[str, Any]]:
    with container_of(request).read_session() as session:
        return [_task(task) for task in sales.open_tasks(session, lead_id)]


@router.post(
    "/tasks",
    status_code=201,
    dependencies=[can_write_tasks],
    summary="Create a task",
    responses=problems(404, notes={404: "No lead has this lead_id"}),
)
def create_task(request: Request, body: TaskBody) -> dict[str, Any]:
    with container_of(request).uow() as uow:
        task = sales.do_create_task(
            body.lead_id,
            queue=body.queue,
            owner_id=body.owner_id,
            title=body.title,
            hours=body.hours,
            uow=uow,
        )
        return _task(task)


@router.post("/tasks/{task_id}/complete", dependencies=[can_write_tasks], summary="Complete a task")
def complete_task(request: Request, task_id: int) -> dict[str, Any]:
    with container_of(request).uow() as uow:
        task = sales.do_complete_task(task_id, uow=uow)
        return _task(task)


@router.post(
    "/tasks/check-deadlines", dependencies=[can_admin], summary="Escalate overdue tasks now"
)
def check_deadlines(request: Request) -> dict[str, Any]:
    escalated = sales.do_check_deadlines(uow=container_of(request).uow())
    return {"escalated_task_ids": escalated}


@router.get("/deadlines", dependencies=[can_read_tasks], summary="Speed-to-lead deadlines")
def get_deadlines(request: Request) -> dict[str, float]:
    with container_of(request).read_session() as session:
        return sales.deadlines(session)


@router.put("/deadlines", dependencies=[can_admin], summary="Set a queue's deadline (hours)")
def put_deadline(request: Request, body: DeadlineBody) -> dict[str, float]:
    sales.do_set_deadline(body.queue, body.hours, uow=container_of(request).uow())
    with container_of(request).read_session() as session:
        return sales.deadlines(session)


@router.post(
    "/leads/{lead_id}/assign",
    summary="Assign to a user or round-robin",
    responses=problems(409, notes=AT_CAPACITY),
)
def assign(
    request: Request, lead_id: int, body: AssignBody, principal: Principal = can_assign
) -> dict[str, Any]:
    uow = container_of(request).uow()
    if body.round_robin:
        record = sales.do_round_robin_assign(lead_id, uow=uow, by_user_id=principal.user_id)
    elif body.user_id is not None:
        record = sales.do_assign_lead(lead_id, body.user_id, uow=uow, by_user_id=principal.user_id)
    else:
        raise ValidationFailed("Name a user or ask for round-robin", field="user_id")
    return {"lead_id": lead_id, "user_id": record.user_id, "reason": record.reason}


@router.post(
    "/leads/{lead_id}/accept",
    summary="Assign and tick sales accepted",
    responses=problems(409, notes=AT_CAPACITY),
)
def accept(
    request: Request, lead_id: int, body: AssignBody, principal: Principal = can_assign
) -> dict[str, Any]:
    with container_of(request).uow() as uow:
        lead = sales.do_accept_lead(lead_id, body.user_id, uow=uow, by_user_id=principal.user_id)
        return to_public(lead, uow.registry, "lead")


@router.post(
    "/leads/{lead_id}/qualify",
    summary="Qualify: opportunity, contact, account",
    responses=problems(409, notes={409: "The lead is not open"}),
)
def qualify(
    request: Request, lead_id: int, body: QualifyBody, principal: Principal = can_qualify
) -> dict[str, Any]:
    options = sales.QualifyOptions(**body.model_dump())
    result = sales.do_qualify_lead(
        lead_id, uow=container_of(request).uow(), options=options, by_user_id=principal.user_id
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
def disqualify(
    request: Request, lead_id: int, body: DisqualifyBody, principal: Principal = can_qualify
) -> dict[str, Any]:
    with container_of(request).uow() as uow:
        lead = sales.do_disqualify_lead(
            lead_id, body.status_reason, uow=uow, by_user_id=principal.user_id
        )
        return to_public(lead, uow.registry, "lead")


@router.post(
    "/leads/{lead_id}/reactivate",
    summary="Reopen a disqualified lead",
    responses=problems(409, notes={409: "Only a disqualified lead can be reactivated"}),
)
def reactivate(
    request: Request, lead_id: int, principal: Principal = can_qualify
) -> dict[str, Any]:
    with container_of(request).uow() as uow:
        lead = sales.do_reactivate_lead(lead_id, uow=uow, by_user_id=principal.user_id)
        return to_public(lead, uow.registry, "lead")


@router.post(
    "/leads/{lead_id}/recycle",
    summary="Send the lead back to marketing",
    responses=problems(409, notes={409: "The lead is not open"}),
)
def recycle(
    request: Request, lead_id: int, body: RecycleBody, principal: Principal = can_qualify
) -> dict[str, Any]:
    sales.do_recycle_lead(
        lead_id, body.reason, uow=container_of(request).uow(), by_user_id=principal.user_id
    )
    with container_of(request).read_session() as session:
        return {"lead_id": lead_id, "recycled": sales.recycle_count(session, lead_id)}


@router.get("/notifications", summary="My notifications")
def my_notifications(request: Request, principal: Principal = signed_in) -> dict[str, Any]:
    with container_of(request).read_session() as session:
        rows = sales.notifications(session, principal.user_id)
        return {
            "unread": sales.unread_count(session, principal.user_id),
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


@router.post("/notifications/read", status_code=204, summary="Mark my notifications read")
def read_notifications(request: Request, principal: Principal = signed_in) -> Response:
    sales.do_mark_read(principal.user_id, uow=container_of(request).uow())
    return Response(status_code=204)
