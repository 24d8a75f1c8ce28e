"""Settings > Automation: shipped and own rules, switches, runs, and the orphan backfill."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from starlette.datastructures import FormData

from leadflow.automation.actions import ACTIONS
from leadflow.automation.engine import triggers
from leadflow.automation.models import AutomationRule
from leadflow.automation.orphans import (
    BACKFILL_JOB,
    ORPHAN_RULE_KEY,
    count_orphans,
    do_start_orphan_backfill,
)
from leadflow.automation.services import (
    do_create_rule,
    do_update_rule,
    get_rule,
    list_rules,
    list_runs,
    run_counts,
)
from leadflow.errors import ErrorCode, LeadflowError, ValidationFailed
from leadflow.jobs.services import job_public, latest_job
from leadflow.lib.bounds import nul_location
from leadflow.org.services import all_switches, do_set_switch
from leadflow.users.domain import Permission, role_allows
from leadflow.users.services import Principal
from leadflow.web.auth import Authorize, container_of
from leadflow.web.pages.records import form_data
from leadflow.web.pages.render import render, settings_navigation

BASE = "/settings/automation"


def _summary(items: list[dict[str, Any]]) -> str:
    parts = []
    for item in items:
        definition = ACTIONS.get(str(item.get("type")))
        label = definition.label if definition else str(item.get("type"))
        params = ", ".join(f"{k}={v}" for k, v in item.items() if k != "type")
        parts.append(f"{label} ({params})" if params else label)
    return "; ".join(parts)


def _when(rule: AutomationRule) -> str:
    joiner = " and " if rule.match == "all" else " or "
    return joiner.join(
        f"{c.get('field')} {c.get('op', 'eq')}" + (f" {c.get('value')!r}" if "value" in c else "")
        for c in rule.conditions or []
    )


def _rules_page(
    request: Request,
    principal: Principal,
    *,
    form: Mapping[str, str] | None = None,
    error: LeadflowError | None = None,
) -> Response:
    container = container_of(request)
    with container.read_session() as session:
        rules = list_rules(session)
        counts = run_counts(session)
        switches = all_switches(session)
        backfill = latest_job(session, BACKFILL_JOB)
        job = job_public(backfill) if backfill is not None else None
        orphan_rule = session.scalar(
            select(AutomationRule).where(AutomationRule.key == ORPHAN_RULE_KEY)
        )
    groups: dict[str, list[dict[str, Any]]] = {}
    for rule in rules:
        groups.setdefault(rule.group or "Own rules", []).append(
            {
                "rule": rule,
                "when": _when(rule),
                "then": _summary(rule.actions or []),
                "done": counts.get(rule.id, {}).get("done", 0),
                "failed": counts.get(rule.id, {}).get("failed", 0),
            }
        )
    context = {
        "settings_sections": settings_navigation(principal),
        "can_admin": role_allows(principal.role, Permission.AUTOMATION_ADMIN),
        "groups": groups,
        "switches": switches,
        "orphans": count_orphans(container),
        "orphan_rule": orphan_rule,
        "job": job,
        "triggers": triggers(),
        "actions": [ACTIONS[name] for name in sorted(ACTIONS)],
        "form": form or {"conditions": "[]", "actions": "[]", "match": "all"},
        "error": error,
    }
    return render(
        request, "automation/rules.html", context, status=error.http_status if error else 200
    )


def _json_list(form: Mapping[str, str], name: str) -> list[dict[str, Any]]:
    text = (form.get(name) or "").strip() or "[]"
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValidationFailed(
            f"{name.capitalize()} are not valid JSON: {exc.msg} (line {exc.lineno})", field=name
        ) from exc
    if not isinstance(value, list):
        raise ValidationFailed(f"{name.capitalize()} are a JSON list", field=name)
    where = nul_location(value)
    if where is not None:  # a "\u0000" escape in the JSON text
        raise ValidationFailed(
            f"{name.capitalize()} hold a NUL character",
            code=ErrorCode.NUL_CHARACTER,
            field=f"{name}{where}",
        )
    return value


def _rule_page(
    request: Request,
    principal: Principal,
    rule_id: int,
    *,
    form: Mapping[str, str] | None = None,
    error: LeadflowError | None = None,
) -> Response:
    with container_of(request).read_session() as session:
        rule = get_rule(session, rule_id)
        runs = list_runs(session, rule_id, limit=50)
        values = form or {
            "name": rule.name,
            "description": rule.description,
            "match": rule.match,
            "conditions": json.dumps(rule.conditions, indent=2),
            "actions": json.dumps(rule.actions, indent=2),
        }
        context = {
            "settings_sections": settings_navigation(principal),
            "can_admin": role_allows(principal.role, Permission.AUTOMATION_ADMIN),
            "rule": rule,
            "runs": runs,
            "form": values,
            "error": error,
            "actions": [ACTIONS[name] for name in sorted(ACTIONS)],
        }
        return render(
            request, "automation/rule.html", context, status=error.http_status if error else 200
        )


def _router() -> APIRouter:
    router = APIRouter(include_in_schema=False)
    can_read = Authorize(Permission.AUTOMATION_READ)
    can_admin = Authorize(Permission.AUTOMATION_ADMIN)

    @router.get(BASE)
    def rules_page(request: Request, principal: Principal = Depends(can_read)) -> Response:
        return _rules_page(request, principal)

    @router.post(BASE + "/rules")
    def add_rule(
        request: Request,
        principal: Principal = Depends(can_admin),
        form: FormData = Depends(form_data),
    ) -> Response:
        values = {
            key: str(form.get(key) or "")
            for key in ("name", "trigger", "match", "conditions", "actions", "description")
        }
        container = container_of(request)
        try:
            with container.uow() as uow:
                rule = do_create_rule(
                    {
                        "name": values["name"],
                        "trigger": values["trigger"],
                        "match": values["match"] or "all",
                        "description": values["description"],
                        "conditions": _json_list(values, "conditions"),
                        "actions": _json_list(values, "actions"),
                    },
                    uow=uow,
                )
        except LeadflowError as error:
            return _rules_page(request, principal, form=values, error=error)
        return RedirectResponse(f"{BASE}/rules/{rule.id}", status_code=303)

    @router.post(BASE + "/rules/{rule_id}/switch")
    def switch_rule(
        request: Request,
        rule_id: int,
        principal: Principal = Depends(can_admin),
        form: FormData = Depends(form_data),
    ) -> Response:
        enabled = form.get("enabled") == "on"
        do_update_rule(rule_id, {"enabled": enabled}, uow=container_of(request).uow())
        return RedirectResponse(f"{BASE}#rule-{rule_id}", status_code=303)

    @router.get(BASE + "/rules/{rule_id}")
    def rule_page(
        request: Request, rule_id: int, principal: Principal = Depends(can_read)
    ) -> Response:
        return _rule_page(request, principal, rule_id)

    @router.post(BASE + "/rules/{rule_id}")
    def change_rule(
        request: Request,
        rule_id: int,
        principal: Principal = Depends(can_admin),
        form: FormData = Depends(form_data),
    ) -> Response:
        values = {
            key: str(form.get(key) or "")
            for key in ("name", "match", "conditions", "actions", "description")
        }
        try:
            with container_of(request).uow() as uow:
                do_update_rule(
                    rule_id,
                    {
                        "name": values["name"],
                        "match": values["match"] or "all",
                        "description": values["description"],
                        "conditions": _json_list(values, "conditions"),
                        "actions": _json_list(values, "actions"),
                    },
                    uow=uow,
                )
        except LeadflowError as error:
            return _rule_page(request, principal, rule_id, form=values, error=error)
        return RedirectResponse(f"{BASE}/rules/{rule_id}?saved=1", status_code=303)

    @router.post(BASE + "/switches/{key}")
    def flip_switch(
        request: Request,
        key: str,
        principal: Principal = Depends(can_admin),
        form: FormData = Depends(form_data),
    ) -> Response:
        do_set_switch(key, form.get("enabled") == "on", uow=container_of(request).uow())
        return RedirectResponse(f"{BASE}#switches", status_code=303)

    @router.post(BASE + "/orphans/backfill")
    def backfill(
        request: Request,
        principal: Principal = Depends(can_admin),
        form: FormData = Depends(form_data),
    ) -> Response:
        job = do_start_orphan_backfill(
            uow=container_of(request).uow(), requested_by=principal.user_id
        )
        return RedirectResponse(f"/jobs/{job.id}", status_code=303)

    return router


def routers() -> list[APIRouter]:
    return [_router()]
