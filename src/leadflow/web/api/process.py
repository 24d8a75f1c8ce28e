"""API routes of the process, hand-over and views capabilities: thin over their services."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any, Literal

import yaml
from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, Field

from leadflow.errors import BadRequest, ErrorCode, PermissionDenied, ValidationFailed
from leadflow.lib.bounds import RowId, nul_location
from leadflow.lib.json_types import FilledScalar
from leadflow.lib.listing import derived_values, run_list
from leadflow.lib.records import to_public
from leadflow.process import services as process
from leadflow.process.schemas import ProcessDefinitionIn
from leadflow.sales import services as sales
from leadflow.sales.models import Task
from leadflow.users.domain import Permission, role_allows
from leadflow.users.services import Principal
from leadflow.views import dashboard
from leadflow.views import services as views
from leadflow.web.auth import Authorize, container_of
from leadflow.web.openapi import problems, request_body, schema_of
from leadflow.web.reach import scope_of

READ_OF = {"lead": Permission.LEADS_READ, "contact": Permission.CONTACTS_READ}


class StageBody(BaseModel):
    stage: str = Field(min_length=1, max_length=64)


class SwitchBody(BaseModel):
    process_key: str = Field(min_length=1, max_length=64)


class TaskBody(BaseModel):
    lead_id: RowId
    queue: str | None = Field(default=None, max_length=64)
    owner_id: RowId | None = None
    title: str | None = Field(default=None, max_length=300)
    hours: float | None = Field(default=None, gt=0, le=8760)


class AssignBody(BaseModel):
    user_id: RowId | None = None
    round_robin: bool = False


class QualifyBody(BaseModel):
    create_opportunity: bool = True
    use_or_create_contact: bool = True
    use_or_create_account: bool = True


class DisqualifyBody(BaseModel):
    status_reason: str = Field(min_length=1, max_length=32)


class RecycleBody(BaseModel):
    reason: str = Field(min_length=1, max_length=2000)


class DeadlineBody(BaseModel):
    queue: str = Field(min_length=1, max_length=64)
    hours: float


class ViewBody(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    entity: Literal["lead", "contact"]  # views.services.ENTITIES
    filters: list[tuple[str, FilledScalar]] = Field(
        default_factory=list,
        max_length=30,  # views.services.MAX_FILTERS
        description='[field__op, value] pairs as in the list query, e.g. ["owner_id", "{me}"]',
    )
    columns: list[str] = Field(default_factory=list)
    sort: str | None = None


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


def parse_definition_text(text: str, content_type: str) -> Any:
    """A definition document, JSON or YAML by content type (YAML is a superset for the rest)."""
    try:
        data = json.loads(text) if "json" in content_type else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise BadRequest(f"The definition cannot be read: {exc}") from None
    where = nul_location(data)
    if where is not None:  # written as an escape ("\0", "\u0000"): no raw byte to see earlier
        raise ValidationFailed(
            "The definition holds a NUL character",
            code=ErrorCode.NUL_CHARACTER,
            field=where or "body",
        )
    return data


def process_router() -> APIRouter:
    router = APIRouter(prefix="/api/v1", tags=["process"])
    can_read = Depends(Authorize(Permission.PROCESS_READ))
    can_move = Authorize(Permission.PROCESS_WRITE)
    can_admin = Depends(Authorize(Permission.PROCESS_ADMIN))

    @router.get("/processes", dependencies=[can_read], summary="List process definitions")
    def list_processes(request: Request) -> list[dict[str, Any]]:
        with container_of(request).read_session() as session:
            return [
                {
                    "key": row.key,
                    "name": row.name,
                    "version": row.version,
                    "default": row.is_default,
                }
                for row in process.list_definitions(session)
            ]

    @router.get(
        "/processes/{key}/export",
        dependencies=[can_read],
        summary="Export a definition",
        responses={
            200: {
                "description": "The definition, as JSON or (format=yaml) YAML",
                "content": {
                    "application/json": {"schema": schema_of(ProcessDefinitionIn)},
                    "application/yaml": {"schema": {"type": "string"}},
                },
            },
            **problems(404, notes={404: "No process has this key"}),
        },
    )
    def export_process(request: Request, key: str, format: str = "json") -> Response:
        with container_of(request).read_session() as session:
            data = process.export_definition(session, key)
        if format == "yaml":
            return Response(yaml.safe_dump(data, sort_keys=False), media_type="application/yaml")
        if format != "json":
            raise ValidationFailed("format is json or yaml", field="format")
        return Response(json.dumps(data, indent=2), media_type="application/json")

    @router.post(
        "/processes/import",
        status_code=201,
        dependencies=[can_admin],
        summary="Import a definition (JSON or YAML body) as the next version of its key",
        openapi_extra=request_body(ProcessDefinitionIn, "application/json", "application/yaml"),
        responses=problems(409, notes={409: "Leads stand in a stage that the new version drops"}),
    )
    async def import_process(request: Request) -> dict[str, Any]:
        raw = (await request.body()).decode("utf-8", errors="replace")
        data = parse_definition_text(raw, request.headers.get("content-type", ""))
        row = process.do_save_definition(data, uow=container_of(request).uow())
        return {"key": row.key, "version": row.version, "name": row.name}

    @router.get("/leads/{lead_id}/process", dependencies=[can_read], summary="A lead's process")
    def lead_process(request: Request, lead_id: int) -> dict[str, Any]:
        with container_of(request).read_session() as session:
            process.lead_values(session, lead_id)
            return process.instance_view(session, lead_id) or {"status": "none"}

    @router.get(
        "/leads/{lead_id}/timeline", dependencies=[can_read], summary="A lead's stage timeline"
    )
    def lead_timeline(request: Request, lead_id: int) -> list[dict[str, Any]]:
        with container_of(request).read_session() as session:
            return process.timeline_public(process.timeline(session, lead_id))

    def _move(request: Request, lead_id: int, principal: Principal, action: Any) -> dict[str, Any]:
        container = container_of(request)
        action(container.uow(), principal.user_id)
        with container.read_session() as session:
            return process.instance_view(session, lead_id) or {"status": "none"}

    @router.post(
        "/leads/{lead_id}/process/next",
        summary="Move to the next stage",
        responses=problems(409, notes={409: "The lead is not open, so it cannot move"}),
    )
    def next_stage(
        request: Request, lead_id: int, principal: Principal = Depends(can_move)
    ) -> dict[str, Any]:
        return _move(
            request,
            lead_id,
            principal,
            lambda uow, user: process.do_next_stage(lead_id, uow=uow, actor_user_id=user),
        )

    @router.post(
        "/leads/{lead_id}/process/stage",
        summary="Set a stage active (also backwards)",
        responses=problems(409, notes={409: "The lead is not open, so it cannot move"}),
    )
    def set_stage(
        request: Request, lead_id: int, body: StageBody, principal: Principal = Depends(can_move)
    ) -> dict[str, Any]:
        return _move(
            request,
            lead_id,
            principal,
            lambda uow, user: process.do_set_active_stage(
                lead_id, body.stage, uow=uow, actor_user_id=user
            ),
        )

    @router.post(
        "/leads/{lead_id}/process/finish",
        summary="Finish the process",
        responses=problems(409, notes={409: "The lead is not open, so it cannot move"}),
    )
    def finish(
        request: Request, lead_id: int, principal: Principal = Depends(can_move)
    ) -> dict[str, Any]:
        return _move(
            request,
            lead_id,
            principal,
            lambda uow, user: process.do_finish_process(lead_id, uow=uow, actor_user_id=user),
        )

    @router.post(
        "/leads/{lead_id}/process/abandon",
        summary="Abandon the process",
        responses=problems(409, notes={409: "The lead is not open, so it cannot move"}),
    )
    def abandon(
        request: Request, lead_id: int, principal: Principal = Depends(can_move)
    ) -> dict[str, Any]:
        return _move(
            request,
            lead_id,
            principal,
            lambda uow, user: process.do_abandon_process(lead_id, uow=uow, actor_user_id=user),
        )

    @router.post(
        "/leads/{lead_id}/process/switch",
        summary="Switch the lead to another process",
        responses=problems(409, notes={409: "The lead is not open, so it cannot move"}),
    )
    def switch(
        request: Request, lead_id: int, body: SwitchBody, principal: Principal = Depends(can_move)
    ) -> dict[str, Any]:
        return _move(
            request,
            lead_id,
            principal,
            lambda uow, user: process.do_switch_process(
                lead_id, body.process_key, uow=uow, actor_user_id=user
            ),
        )

    return router


def sales_router() -> APIRouter:
    router = APIRouter(prefix="/api/v1", tags=["sales"])
    can_read_tasks = Depends(Authorize(Permission.TASKS_READ))
    can_write_tasks = Depends(Authorize(Permission.TASKS_WRITE))
    can_assign = Authorize(Permission.LEADS_ASSIGN)
    can_qualify = Authorize(Permission.LEADS_QUALIFY)
    can_admin = Depends(Authorize(Permission.PROCESS_ADMIN))

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

    @router.post(
        "/tasks/{task_id}/complete", dependencies=[can_write_tasks], summary="Complete a task"
    )
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
        responses=problems(
            409, notes={409: "Every salesperson is at capacity, or the lead is read-only"}
        ),
    )
    def assign(
        request: Request, lead_id: int, body: AssignBody, principal: Principal = Depends(can_assign)
    ) -> dict[str, Any]:
        uow = container_of(request).uow()
        if body.round_robin:
            record = sales.do_round_robin_assign(lead_id, uow=uow, by_user_id=principal.user_id)
        elif body.user_id is not None:
            record = sales.do_assign_lead(
                lead_id, body.user_id, uow=uow, by_user_id=principal.user_id
            )
        else:
            raise ValidationFailed("Name a user or ask for round-robin", field="user_id")
        return {"lead_id": lead_id, "user_id": record.user_id, "reason": record.reason}

    @router.post(
        "/leads/{lead_id}/accept",
        summary="Assign and tick sales accepted",
        responses=problems(
            409, notes={409: "Every salesperson is at capacity, or the lead is read-only"}
        ),
    )
    def accept(
        request: Request, lead_id: int, body: AssignBody, principal: Principal = Depends(can_assign)
    ) -> dict[str, Any]:
        with container_of(request).uow() as uow:
            lead = sales.do_accept_lead(
                lead_id, body.user_id, uow=uow, by_user_id=principal.user_id
            )
            return to_public(lead, uow.registry, "lead")

    @router.post(
        "/leads/{lead_id}/qualify",
        summary="Qualify: opportunity, contact, account",
        responses=problems(409, notes={409: "The lead is not open"}),
    )
    def qualify(
        request: Request,
        lead_id: int,
        body: QualifyBody,
        principal: Principal = Depends(can_qualify),
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
        responses=problems(
            409, notes={409: "The lead is not open, or an opportunity came from it"}
        ),
    )
    def disqualify(
        request: Request,
        lead_id: int,
        body: DisqualifyBody,
        principal: Principal = Depends(can_qualify),
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
        request: Request, lead_id: int, principal: Principal = Depends(can_qualify)
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
        request: Request,
        lead_id: int,
        body: RecycleBody,
        principal: Principal = Depends(can_qualify),
    ) -> dict[str, Any]:
        sales.do_recycle_lead(
            lead_id, body.reason, uow=container_of(request).uow(), by_user_id=principal.user_id
        )
        with container_of(request).read_session() as session:
            return {"lead_id": lead_id, "recycled": sales.recycle_count(session, lead_id)}

    @router.get("/notifications", summary="My notifications")
    def my_notifications(
        request: Request, principal: Principal = Depends(Authorize(None))
    ) -> dict[str, Any]:
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
    def read_notifications(
        request: Request, principal: Principal = Depends(Authorize(None))
    ) -> Response:
        sales.do_mark_read(principal.user_id, uow=container_of(request).uow())
        return Response(status_code=204)

    @router.get(
        "/dashboard",
        dependencies=[Depends(Authorize(Permission.DASHBOARDS_READ))],
        summary="Funnel, overdue tasks, sales-ready leads per day",
    )
    def get_dashboard(request: Request) -> dict[str, Any]:
        with container_of(request).read_session() as session:
            return dashboard.dashboard(session)

    return router


def views_router() -> APIRouter:
    router = APIRouter(prefix="/api/v1/views", tags=["views"])
    can_read = Authorize(Permission.VIEWS_READ)
    can_write = Authorize(Permission.VIEWS_WRITE)

    @router.get("", summary="Saved views I can use")
    def list_views(
        request: Request, entity: str = "lead", principal: Principal = Depends(can_read)
    ) -> list[dict[str, Any]]:
        with container_of(request).read_session() as session:
            found = views.visible_views(session, principal.role, principal.user_id, entity)
            return [views.public_view(view) for view in found]

    @router.post("", status_code=201, summary="Save a view of my own")
    def create_view(
        request: Request, body: ViewBody, principal: Principal = Depends(can_write)
    ) -> dict[str, Any]:
        with container_of(request).uow() as uow:
            view = views.do_create_view(body.model_dump(), owner_id=principal.user_id, uow=uow)
            return views.public_view(view)

    @router.delete("/{view_id}", status_code=204, summary="Delete a view of mine")
    def delete_view(
        request: Request, view_id: int, principal: Principal = Depends(can_write)
    ) -> Response:
        views.do_delete_view(view_id, owner_id=principal.user_id, uow=container_of(request).uow())
        return Response(status_code=204)

    @router.get("/{view_id}/records", summary="The first page of a view's records")
    def view_records(
        request: Request, view_id: int, principal: Principal = Depends(can_read)
    ) -> dict[str, Any]:
        container = container_of(request)
        with container.read_session() as session:
            view = views.get_view(session, view_id, role=principal.role, user_id=principal.user_id)
            if not role_allows(principal.role, READ_OF[view.entity]):
                raise PermissionDenied(f"The {principal.role} role may not read {view.entity}s")
            registry = container.registry_cache.get(session)
            query = views.view_query(registry, view, principal.user_id)
            page = run_list(session, replace(query, scope=scope_of(view.entity, principal)))
            return {
                "view": views.public_view(view),
                "items": [
                    to_public(item, registry, view.entity) | derived_values(item, query)
                    for item in page.items
                ],
                "next_cursor": page.next_cursor,
            }

    return router


def routers() -> list[APIRouter]:
    return [process_router(), sales_router(), views_router()]
