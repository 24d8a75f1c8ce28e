"""Automation API: rules (shipped and own), their runs, the action catalogue, org switches
and org settings."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

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
from leadflow.web.calls import ApiCall, api_call
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


router = APIRouter(prefix="/api/v1/automation", tags=["automation"])
switches_router = APIRouter(prefix="/api/v1/switches", tags=["automation"])
settings_router = APIRouter(prefix="/api/v1/org-settings", tags=["automation"])
reading = api_call(P.AUTOMATION_READ)
administering = api_call(P.AUTOMATION_ADMIN)


@router.get("/rules", summary="Every rule, shipped and own")
def rules(call: ApiCall = reading) -> dict[str, Any]:
    return call.read(lambda session: {"items": [rule_public(r) for r in list_rules(session)]})


@router.post("/rules", status_code=201, summary="Add a rule")
def add_rule(body: RuleIn, call: ApiCall = administering) -> dict[str, Any]:
    # Unsent members stay unsent (a condition's value included): the service fills the
    # defaults and refuses a comparison without a value.
    return call.run(
        lambda uow: do_create_rule(body.model_dump(exclude_unset=True), uow=uow),
        lambda rule, _: rule_public(rule),
    )


@router.get("/rules/{rule_id}", summary="Read a rule")
def read_rule(rule_id: int, call: ApiCall = reading) -> dict[str, Any]:
    return call.read(lambda session: rule_public(get_rule(session, rule_id)))


@router.patch("/rules/{rule_id}", summary="Change or switch a rule")
def change_rule(rule_id: int, body: RulePatch, call: ApiCall = administering) -> dict[str, Any]:
    return call.run(
        lambda uow: do_update_rule(rule_id, body.model_dump(exclude_unset=True), uow=uow),
        lambda rule, _: rule_public(rule),
    )


@router.delete(
    "/rules/{rule_id}",
    status_code=204,
    summary="Remove a rule",
    responses=problems(409, notes={409: "A shipped rule cannot be removed"}),
)
def remove_rule(rule_id: int, call: ApiCall = administering) -> Response:
    call.write(lambda uow: do_delete_rule(rule_id, uow=uow))
    return Response(status_code=204)


@router.get("/rules/{rule_id}/runs", summary="A rule's latest runs")
def runs(rule_id: int, limit: int = 50, call: ApiCall = reading) -> dict[str, Any]:
    def latest(session: Session) -> dict[str, Any]:
        get_rule(session, rule_id)
        rows = list_runs(session, rule_id, limit=max(1, min(limit, 500)))
        return {"items": [run_public(run) for run in rows]}

    return call.read(latest)


@router.get("/catalogue", dependencies=[reading], summary="Triggers and actions a rule can use")
def catalogue() -> dict[str, Any]:
    return {
        "triggers": triggers(),
        "actions": [ACTIONS[name].public() for name in sorted(ACTIONS)],
    }


@router.post(
    "/orphans/backfill",
    status_code=202,
    summary="Give every existing orphan lead a contact (background job)",
)
def backfill(call: ApiCall = administering) -> dict[str, Any]:
    return call.run(
        lambda uow: do_start_orphan_backfill(uow=uow, requested_by=call.user_id),
        lambda job, uow: backfill_job_public(get_backfill_job(uow.session, job.id)),
    )


@router.get("/jobs/{job_id}", summary="A background job's progress")
def job(job_id: int, call: ApiCall = reading) -> dict[str, Any]:
    return call.read(lambda session: backfill_job_public(get_backfill_job(session, job_id)))


@switches_router.get("", summary="Org-wide switches")
def switches(call: ApiCall = reading) -> dict[str, Any]:
    return {
        "items": [
            {
                "key": d.key,
                "label": d.label,
                "description": d.description,
                "default": d.default,
                "enabled": enabled,
            }
            for d, enabled in call.read(all_switches)
        ]
    }


@switches_router.put(
    "/{key}",
    summary="Switch an org-wide setting on or off",
    responses=problems(404, notes={404: "No switch has this key"}),
)
def flip(key: str, body: SwitchIn, call: ApiCall = administering) -> dict[str, Any]:
    call.write(lambda uow: do_set_switch(key, body.enabled, uow=uow))
    return {"key": key, "enabled": body.enabled}


def setting_public(definition: SettingDef, value: str | None) -> dict[str, Any]:
    return {
        "key": definition.key,
        "label": definition.label,
        "description": definition.description,
        "hint": definition.hint,
        "default": definition.default,
        "value": value,
    }


@settings_router.get("", summary="Org-wide settings with a value")
def settings(call: ApiCall = reading) -> dict[str, Any]:
    return {"items": [setting_public(d, v) for d, v in call.read(all_settings)]}


@settings_router.get(
    "/{key}",
    summary="One org-wide setting",
    responses=problems(404, notes={404: "No such setting"}),
)
def setting(key: str, call: ApiCall = reading) -> dict[str, Any]:
    value = call.read(lambda session: setting_value(session, key))
    return setting_public(SETTINGS[key], value)


@settings_router.put(
    "/{key}",
    summary="Change an org-wide setting",
    responses=problems(404, notes={404: "No such setting"}),
)
def change(key: str, body: SettingIn, call: ApiCall = administering) -> dict[str, Any]:
    """Body: {"value": "GB"}; a value the setting refuses is a 422 naming `value`,
    null clears it back to the default."""
    value = call.write(lambda uow: do_set_setting(key, body.value, uow=uow))
    return setting_public(SETTINGS[key], value)


def routers() -> list[APIRouter]:
    return [router, switches_router, settings_router]
