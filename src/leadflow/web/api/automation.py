"""Automation API: rules (shipped and own), their runs, the action catalogue, org switches
and org settings."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from leadflow.automation.actions import ACTIONS
from leadflow.automation.domain import OPERATORS
from leadflow.automation.engine import triggers
from leadflow.automation.orphans import (
    backfill_job_public,
    do_start_orphan_backfill,
    get_backfill_job,
)
from leadflow.automation.services import (
    do_create_rule,
    do_delete_rule,
    do_update_rule,
    get_rule,
    list_rules,
    list_runs,
    rule_public,
    run_public,
)
from leadflow.lib.bounds import Int32, omittable
from leadflow.lib.json_types import JsonScalarOrList
from leadflow.switches.domain import SETTINGS, SettingDef
from leadflow.switches.services import (
    all_settings,
    all_switches,
    do_set_setting,
    do_set_switch,
    setting_value,
)
from leadflow.users.domain import Permission as P
from leadflow.users.services import Principal
from leadflow.web.auth import Authorize, container_of
from leadflow.web.openapi import problems

CATALOGUE = "GET /api/v1/automation/catalogue"


class RuleConditionIn(BaseModel):
    """Compares one fact (`event.<key>`, `lead.<field>`, `contact.<field>`,
    `account.<field>`) with a value."""

    field: str = Field(description="source.name, e.g. lead.campaign")
    op: str = Field(
        default="eq",
        json_schema_extra={"enum": [name for name in sorted(OPERATORS)]},
        description="is_empty and is_not_empty take no value",
    )
    value: JsonScalarOrList = Field(default=None, description="A list (or a, b, c) for in")


class ActionIn(BaseModel):
    """An action of the catalogue, with its parameters beside `type`."""

    model_config = ConfigDict(extra="allow")
    __pydantic_extra__: dict[str, JsonScalarOrList]

    type: str = Field(description=f"An action's type from {CATALOGUE}")


class RuleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    trigger: str = Field(description=f"An event name from {CATALOGUE}")
    actions: list[ActionIn] = Field(min_length=1)
    conditions: list[RuleConditionIn] = []
    match: Literal["all", "any"] = "all"
    enabled: bool = True
    description: str = ""
    group: str = ""
    position: Int32 = 100


class RulePatch(BaseModel):
    """A field left out keeps its value; every column of a rule holds one, so null is refused."""

    model_config = ConfigDict(extra="forbid")

    name: str = omittable(min_length=1, max_length=200)
    trigger: str = omittable()
    actions: list[ActionIn] = omittable(min_length=1)
    conditions: list[RuleConditionIn] = omittable()
    match: Literal["all", "any"] = omittable()
    enabled: bool = omittable()
    description: str = omittable()
    group: str = omittable()
    position: Int32 = omittable()


class SwitchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enabled: bool


class SettingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # null or "" clears the setting back to its default.
    value: str | None = Field(max_length=200)


def _router() -> APIRouter:
    router = APIRouter(prefix="/api/v1/automation", tags=["automation"])
    can_read = Depends(Authorize(P.AUTOMATION_READ))
    can_admin = Depends(Authorize(P.AUTOMATION_ADMIN))

    @router.get("/rules", dependencies=[can_read], summary="Every rule, shipped and own")
    def rules(request: Request) -> dict[str, Any]:
        with container_of(request).read_session() as session:
            return {"items": [rule_public(rule) for rule in list_rules(session)]}

    @router.post("/rules", status_code=201, dependencies=[can_admin], summary="Add a rule")
    def add_rule(request: Request, body: RuleIn) -> dict[str, Any]:
        with container_of(request).uow() as uow:
            # Unsent members stay unsent (a condition's value included): the service
            # fills the defaults and refuses a comparison without a value.
            rule = do_create_rule(body.model_dump(exclude_unset=True), uow=uow)
            return rule_public(rule)

    @router.get("/rules/{rule_id}", dependencies=[can_read], summary="Read a rule")
    def read_rule(request: Request, rule_id: int) -> dict[str, Any]:
        with container_of(request).read_session() as session:
            return rule_public(get_rule(session, rule_id))

    @router.patch("/rules/{rule_id}", dependencies=[can_admin], summary="Change or switch a rule")
    def change_rule(request: Request, rule_id: int, body: RulePatch) -> dict[str, Any]:
        with container_of(request).uow() as uow:
            rule = do_update_rule(rule_id, body.model_dump(exclude_unset=True), uow=uow)
            return rule_public(rule)

    @router.delete(
        "/rules/{rule_id}",
        status_code=204,
        dependencies=[can_admin],
        summary="Remove a rule",
        responses=problems(409, notes={409: "A shipped rule cannot be removed"}),
    )
    def remove_rule(request: Request, rule_id: int) -> Response:
        do_delete_rule(rule_id, uow=container_of(request).uow())
        return Response(status_code=204)

    @router.get("/rules/{rule_id}/runs", dependencies=[can_read], summary="A rule's latest runs")
    def runs(request: Request, rule_id: int, limit: int = 50) -> dict[str, Any]:
        with container_of(request).read_session() as session:
            get_rule(session, rule_id)
            rows = list_runs(session, rule_id, limit=max(1, min(limit, 500)))
            return {"items": [run_public(run) for run in rows]}

    @router.get(
        "/catalogue", dependencies=[can_read], summary="Triggers and actions a rule can use"
    )
    def catalogue() -> dict[str, Any]:
        return {
            "triggers": triggers(),
            "actions": [ACTIONS[name].public() for name in sorted(ACTIONS)],
        }

    @router.post(
        "/orphans/backfill",
        status_code=202,
        dependencies=[can_admin],
        summary="Give every existing orphan lead a contact (background job)",
    )
    def backfill(request: Request, principal: Principal = can_admin) -> dict[str, Any]:
        container = container_of(request)
        job = do_start_orphan_backfill(uow=container.uow(), requested_by=principal.user_id)
        with container.read_session() as session:
            return backfill_job_public(get_backfill_job(session, job.id))

    @router.get("/jobs/{job_id}", dependencies=[can_read], summary="A background job's progress")
    def job(request: Request, job_id: int) -> dict[str, Any]:
        with container_of(request).read_session() as session:
            return backfill_job_public(get_backfill_job(session, job_id))

    return router


def _switches_router() -> APIRouter:
    router = APIRouter(prefix="/api/v1/switches", tags=["automation"])

    @router.get(
        "", dependencies=[Depends(Authorize(P.AUTOMATION_READ))], summary="Org-wide switches"
    )
    def switches(request: Request) -> dict[str, Any]:
        with container_of(request).read_session() as session:
            return {
                "items": [
                    {
                        "key": d.key,
                        "label": d.label,
                        "description": d.description,
                        "default": d.default,
                        "enabled": enabled,
                    }
                    for d, enabled in all_switches(session)
                ]
            }

    @router.put(
        "/{key}",
        dependencies=[Depends(Authorize(P.AUTOMATION_ADMIN))],
        summary="Switch an org-wide setting on or off",
        responses=problems(404, notes={404: "No switch has this key"}),
    )
    def flip(request: Request, key: str, body: SwitchIn) -> dict[str, Any]:
        do_set_switch(key, body.enabled, uow=container_of(request).uow())
        return {"key": key, "enabled": body.enabled}

    return router


def setting_public(definition: SettingDef, value: str | None) -> dict[str, Any]:
    return {
        "key": definition.key,
        "label": definition.label,
        "description": definition.description,
        "hint": definition.hint,
        "default": definition.default,
        "value": value,
    }


def _settings_router() -> APIRouter:
    router = APIRouter(prefix="/api/v1/org-settings", tags=["automation"])
    can_read = Depends(Authorize(P.AUTOMATION_READ))

    @router.get("", dependencies=[can_read], summary="Org-wide settings with a value")
    def settings(request: Request) -> dict[str, Any]:
        with container_of(request).read_session() as session:
            return {"items": [setting_public(d, v) for d, v in all_settings(session)]}

    @router.get(
        "/{key}",
        dependencies=[can_read],
        summary="One org-wide setting",
        responses=problems(404, notes={404: "No such setting"}),
    )
    def setting(request: Request, key: str) -> dict[str, Any]:
        with container_of(request).read_session() as session:
            value = setting_value(session, key)
        return setting_public(SETTINGS[key], value)

    @router.put(
        "/{key}",
        dependencies=[Depends(Authorize(P.AUTOMATION_ADMIN))],
        summary="Change an org-wide setting",
        responses=problems(404, notes={404: "No such setting"}),
    )
    def change(request: Request, key: str, body: SettingIn) -> dict[str, Any]:
        """Body: {"value": "GB"}; a value the setting refuses is a 422 naming `value`,
        null clears it back to the default."""
        value = do_set_setting(key, body.value, uow=container_of(request).uow())
        return setting_public(SETTINGS[key], value)

    return router


def routers() -> list[APIRouter]:
    return [_router(), _switches_router(), _settings_router()]
