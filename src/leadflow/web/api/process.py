"""API routes of the business process: definitions, and a lead's stage, timeline and moves."""

from __future__ import annotations

import json
from typing import Any

import yaml
from fastapi import APIRouter, Response
from sqlalchemy.orm import Session

from leadflow.errors import ErrorCode, ValidationFailed
from leadflow.process import services as process
from leadflow.process.schemas import (
    ProcessDefinitionIn,
    StageBody,
    SwitchBody,
    parse_definition_text,
)
from leadflow.users.domain import Permission
from leadflow.web.calls import ApiCall, UseCase, api_call
from leadflow.web.openapi import problems, request_body, schema_of

router = APIRouter(prefix="/api/v1", tags=["process"])
reading = api_call(Permission.PROCESS_READ)
moving = api_call(Permission.PROCESS_WRITE)
administering = api_call(Permission.PROCESS_ADMIN)
NOT_OPEN = problems(409, notes={409: "The lead is not open, so it cannot move"})


@router.get("/processes", summary="List process definitions")
def list_processes(call: ApiCall = reading) -> list[dict[str, Any]]:
    return [
        {"key": row.key, "name": row.name, "version": row.version, "default": row.is_default}
        for row in call.read(process.list_definitions)
    ]


@router.get(
    "/processes/{key}/export",
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
def export_process(key: str, format: str = "json", call: ApiCall = reading) -> Response:
    data = call.read(lambda session: process.export_definition(session, key))
    if format == "yaml":
        return Response(yaml.safe_dump(data, sort_keys=False), media_type="application/yaml")
    if format != "json":
        raise ValidationFailed(
            "format is json or yaml", field="format", code=ErrorCode.NOT_A_CHOICE
        )
    return Response(json.dumps(data, indent=2), media_type="application/json")


@router.post(
    "/processes/import",
    status_code=201,
    summary="Import a definition (JSON or YAML body) as the next version of its key",
    openapi_extra=request_body(ProcessDefinitionIn, "application/json", "application/yaml"),
    responses=problems(409, notes={409: "Leads stand in a stage that the new version drops"}),
)
async def import_process(call: ApiCall = administering) -> dict[str, Any]:
    raw = (await call.request.body()).decode("utf-8", errors="replace")
    data = parse_definition_text(raw, call.request.headers.get("content-type", ""))
    return call.run(
        lambda uow: process.do_save_definition(data, uow=uow),
        lambda row, _: {"key": row.key, "version": row.version, "name": row.name},
    )


@router.get("/leads/{lead_id}/process", summary="A lead's process")
def lead_process(lead_id: int, call: ApiCall = reading) -> dict[str, Any]:
    return call.read(lambda session: _standing(session, lead_id))


@router.get("/leads/{lead_id}/timeline", summary="A lead's stage timeline")
def lead_timeline(lead_id: int, call: ApiCall = reading) -> list[dict[str, Any]]:
    return call.read(lambda session: process.timeline_public(process.timeline(session, lead_id)))


def _standing(session: Session, lead_id: int) -> dict[str, Any]:
    """Where the lead stands in its process (404 when there is no such lead)."""
    process.lead_values(session, lead_id)
    return process.instance_view(session, lead_id) or {"status": "none"}


def _move(call: ApiCall, lead_id: int, move: UseCase[object]) -> dict[str, Any]:
    """Run the move, then answer with where the lead stands now."""
    return call.run(
        move, lambda _, uow: process.instance_view(uow.session, lead_id) or {"status": "none"}
    )


@router.post("/leads/{lead_id}/process/next", summary="Move to the next stage", responses=NOT_OPEN)
def next_stage(lead_id: int, call: ApiCall = moving) -> dict[str, Any]:
    return _move(
        call,
        lead_id,
        lambda uow: process.do_next_stage(lead_id, uow=uow, actor_user_id=call.user_id),
    )


@router.post(
    "/leads/{lead_id}/process/stage",
    summary="Set a stage active (also backwards)",
    responses=NOT_OPEN,
)
def set_stage(lead_id: int, body: StageBody, call: ApiCall = moving) -> dict[str, Any]:
    return _move(
        call,
        lead_id,
        lambda uow: process.do_set_active_stage(
            lead_id, body.stage, uow=uow, actor_user_id=call.user_id
        ),
    )


@router.post("/leads/{lead_id}/process/finish", summary="Finish the process", responses=NOT_OPEN)
def finish(lead_id: int, call: ApiCall = moving) -> dict[str, Any]:
    return _move(
        call,
        lead_id,
        lambda uow: process.do_finish_process(lead_id, uow=uow, actor_user_id=call.user_id),
    )


@router.post("/leads/{lead_id}/process/abandon", summary="Abandon the process", responses=NOT_OPEN)
def abandon(lead_id: int, call: ApiCall = moving) -> dict[str, Any]:
    return _move(
        call,
        lead_id,
        lambda uow: process.do_abandon_process(lead_id, uow=uow, actor_user_id=call.user_id),
    )


@router.post(
    "/leads/{lead_id}/process/switch",
    summary="Switch the lead to another process",
    responses=NOT_OPEN,
)
def switch(lead_id: int, body: SwitchBody, call: ApiCall = moving) -> dict[str, Any]:
    return _move(
        call,
        lead_id,
        lambda uow: process.do_switch_process(
            lead_id, body.process_key, uow=uow, actor_user_id=call.user_id
        ),
    )
