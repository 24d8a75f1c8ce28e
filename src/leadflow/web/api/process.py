"""API routes of the business process: definitions, and a lead's stage, timeline and moves."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import yaml
from fastapi import APIRouter, Depends, Request, Response

from leadflow.db.uow import UnitOfWork
from leadflow.errors import ValidationFailed
from leadflow.process import services as process
from leadflow.process.schemas import (
    ProcessDefinitionIn,
    StageBody,
    SwitchBody,
    parse_definition_text,
)
from leadflow.users.domain import Permission
from leadflow.users.services import Principal
from leadflow.web.auth import Authorize, container_of
from leadflow.web.openapi import problems, request_body, schema_of

router = APIRouter(prefix="/api/v1", tags=["process"])
can_read = Depends(Authorize(Permission.PROCESS_READ))
can_move = Depends(Authorize(Permission.PROCESS_WRITE))
can_admin = Depends(Authorize(Permission.PROCESS_ADMIN))
NOT_OPEN = problems(409, notes={409: "The lead is not open, so it cannot move"})

# A move: the use case run in a unit of work, by the user who asked.
Move = Callable[[UnitOfWork, int], object]


@router.get("/processes", dependencies=[can_read], summary="List process definitions")
def list_processes(request: Request) -> list[dict[str, Any]]:
    with container_of(request).read_session() as session:
        return [
            {"key": row.key, "name": row.name, "version": row.version, "default": row.is_default}
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


@router.get("/leads/{lead_id}/timeline", dependencies=[can_read], summary="A lead's stage timeline")
def lead_timeline(request: Request, lead_id: int) -> list[dict[str, Any]]:
    with container_of(request).read_session() as session:
        return process.timeline_public(process.timeline(session, lead_id))


def _move(request: Request, lead_id: int, principal: Principal, move: Move) -> dict[str, Any]:
    """Run the move, then answer with where the lead stands now."""
    container = container_of(request)
    move(container.uow(), principal.user_id)
    with container.read_session() as session:
        return process.instance_view(session, lead_id) or {"status": "none"}


@router.post("/leads/{lead_id}/process/next", summary="Move to the next stage", responses=NOT_OPEN)
def next_stage(request: Request, lead_id: int, principal: Principal = can_move) -> dict[str, Any]:
    return _move(
        request,
        lead_id,
        principal,
        lambda uow, user: process.do_next_stage(lead_id, uow=uow, actor_user_id=user),
    )


@router.post(
    "/leads/{lead_id}/process/stage",
    summary="Set a stage active (also backwards)",
    responses=NOT_OPEN,
)
def set_stage(
    request: Request, lead_id: int, body: StageBody, principal: Principal = can_move
) -> dict[str, Any]:
    return _move(
        request,
        lead_id,
        principal,
        lambda uow, user: process.do_set_active_stage(
            lead_id, body.stage, uow=uow, actor_user_id=user
        ),
    )


@router.post("/leads/{lead_id}/process/finish", summary="Finish the process", responses=NOT_OPEN)
def finish(request: Request, lead_id: int, principal: Principal = can_move) -> dict[str, Any]:
    return _move(
        request,
        lead_id,
        principal,
        lambda uow, user: process.do_finish_process(lead_id, uow=uow, actor_user_id=user),
    )


@router.post("/leads/{lead_id}/process/abandon", summary="Abandon the process", responses=NOT_OPEN)
def abandon(request: Request, lead_id: int, principal: Principal = can_move) -> dict[str, Any]:
    return _move(
        request,
        lead_id,
        principal,
        lambda uow, user: process.do_abandon_process(lead_id, uow=uow, actor_user_id=user),
    )


@router.post(
    "/leads/{lead_id}/process/switch",
    summary="Switch the lead to another process",
    responses=NOT_OPEN,
)
def switch(
    request: Request, lead_id: int, body: SwitchBody, principal: Principal = can_move
) -> dict[str, Any]:
    return _move(
        request,
        lead_id,
        principal,
        lambda uow, user: process.do_switch_process(
            lead_id, body.process_key, uow=uow, actor_user_id=user
        ),
    )
