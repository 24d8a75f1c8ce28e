"""Settings > Automation: shipped and own rules, switches, runs, and the orphan backfill."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

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
from leadflow.errors import LeadflowError
from leadflow.jobs.services import job_public, latest_job
from leadflow.registry.domain import Registry
from leadflow.switches.services import all_switches, do_set_switch
from leadflow.users.domain import Permission, role_allows
from leadflow.users.services import Principal
from leadflow.web.auth import Authorize, container_of
from leadflow.web.calls import PageCall, page_call, see_other
from leadflow.web.pages import rule_builder as rb
from leadflow.web.pages.render import render, settings_navigation

BASE = "/settings/automation"


def _builder(
    session: Session,
    registry: Registry,
    trigger: str,
    conditions: list[dict[str, Any]],
    actions: list[dict[str, Any]],
) -> dict[str, Any]:
    """What the rule form shows: triggers, facts per trigger, the action catalogue, rows."""
    lookups = rb.Lookups.read(session, registry)
    facts_by_trigger = rb.fact_specs(session, registry, lookups)
    facts = facts_by_trigger.get(trigger) or next(iter(facts_by_trigger.values()), [])
    return {
        "triggers": rb.trigger_choices(),
        "facts": facts,
        "facts_by_name": {spec["name"]: spec for spec in facts},
        "facts_by_trigger": facts_by_trigger,
        "all_ops": [[op, label] for op, label in rb.OP_LABELS.items()],
        "conditions": rb.condition_rows(conditions),
        "actions": rb.action_rows(actions),
        "catalogue": rb.action_catalogue(registry, lookups),
    }


def _posted(form: FormData) -> dict[str, Any]:
    """The rule form as the services take it: names, and the builder rows folded."""
    return {
        "name": str(form.get("name") or ""),
        "trigger": str(form.get("trigger") or ""),
        "match": str(form.get("match") or "all"),
        "description": str(form.get("description") or ""),
        "conditions": rb.conditions_from_form(form),
        "actions": rb.actions_from_form(form),
    }


def _rules_page(
    request: Request,
    principal: Principal,
    *,
    form: Mapping[str, Any] | None = None,
    error: LeadflowError | None = None,
) -> Response:
    container = container_of(request)
    values = dict(form or {})
    values.setdefault("trigger", "lead.sales_ready")
    with container.read_session() as session:
        registry = container.registry_cache.get(session)
        builder = _builder(
            session,
            registry,
            str(values["trigger"]),
            list(values.get("conditions") or []),
            list(values.get("actions") or []),
        )
        rules = list_rules(session)
        counts = run_counts(session)
        switches = all_switches(session)
        backfill = latest_job(session, BACKFILL_JOB)
        job = job_public(backfill) if backfill is not None else None
        orphan_rule = session.scalar(
            select(AutomationRule).where(AutomationRule.key == ORPHAN_RULE_KEY)
        )
        orphans = count_orphans(session)
    groups: dict[str, list[dict[str, Any]]] = {}
    facts = builder["facts_by_trigger"]
    for rule in rules:
        groups.setdefault(rule.group or "Own rules", []).append(
            {
                "rule": rule,
                "trigger": rb.trigger_label(rule.trigger),
                "when": rb.describe_conditions(
                    rule.conditions or [], rule.match, facts.get(rule.trigger, [])
                ),
                "then": rb.describe_actions(rule.actions or [], builder["catalogue"]),
                "done": counts.get(rule.id, {}).get("done", 0),
                "failed": counts.get(rule.id, {}).get("failed", 0),
            }
        )
    context = {
        "settings_sections": settings_navigation(principal),
        "can_admin": role_allows(principal.role, Permission.AUTOMATION_ADMIN),
        "groups": groups,
        "switches": switches,
        "orphans": orphans,
        "orphan_rule": orphan_rule,
        "job": job,
        "builder": builder,
        "form": values,
        "error": error,
    }
    return render(
        request, "automation/rules.html", context, status=error.http_status if error else 200
    )


def _rule_page(
    request: Request,
    principal: Principal,
    rule_id: int,
    *,
    form: Mapping[str, Any] | None = None,
    error: LeadflowError | None = None,
) -> Response:
    container = container_of(request)
    with container.read_session() as session:
        registry = container.registry_cache.get(session)
        rule = get_rule(session, rule_id)
        runs = list_runs(session, rule_id, limit=50)
        values: dict[str, Any] = (
            dict(form)
            if form is not None
            else {
                "name": rule.name,
                "description": rule.description,
                "match": rule.match,
                "conditions": rule.conditions or [],
                "actions": rule.actions or [],
            }
        )
        values["trigger"] = rule.trigger
        builder = _builder(
            session,
            registry,
            rule.trigger,
            list(values.get("conditions") or []),
            list(values.get("actions") or []),
        )
        context = {
            "settings_sections": settings_navigation(principal),
            "can_admin": role_allows(principal.role, Permission.AUTOMATION_ADMIN),
            "rule": rule,
            "trigger": rb.trigger_label(rule.trigger),
            "runs": runs,
            "form": values,
            "error": error,
            "builder": builder,
        }
        return render(
            request, "automation/rule.html", context, status=error.http_status if error else 200
        )


router = APIRouter(include_in_schema=False)
can_read = Depends(Authorize(Permission.AUTOMATION_READ))
administering = page_call(Permission.AUTOMATION_ADMIN)


@router.get(BASE)
def rules_page(request: Request, principal: Principal = can_read) -> Response:
    return _rules_page(request, principal)


@router.post(BASE + "/rules")
def add_rule(call: PageCall = administering) -> Response:
    values = _posted(call.form)
    return call.run(
        lambda uow: do_create_rule(values, uow=uow),
        done=lambda rule: see_other(f"{BASE}/rules/{rule.id}"),
        failed=lambda error: _rules_page(call.request, call.principal, form=values, error=error),
    )


@router.post(BASE + "/rules/{rule_id}/switch")
def switch_rule(rule_id: int, call: PageCall = administering) -> Response:
    enabled = call.form.get("enabled") == "on"
    call.write(lambda uow: do_update_rule(rule_id, {"enabled": enabled}, uow=uow))
    return see_other(f"{BASE}#rule-{rule_id}")


@router.get(BASE + "/rules/{rule_id}")
def rule_page(request: Request, rule_id: int, principal: Principal = can_read) -> Response:
    return _rule_page(request, principal, rule_id)


@router.post(BASE + "/rules/{rule_id}")
def change_rule(rule_id: int, call: PageCall = administering) -> Response:
    values = _posted(call.form)
    values.pop("trigger")
    return call.run(
        lambda uow: do_update_rule(rule_id, values, uow=uow),
        done=f"{BASE}/rules/{rule_id}?saved=1",
        failed=lambda error: _rule_page(
            call.request, call.principal, rule_id, form=values, error=error
        ),
    )


@router.post(BASE + "/switches/{key}")
def flip_switch(key: str, call: PageCall = administering) -> Response:
    enabled = call.form.get("enabled") == "on"
    call.write(lambda uow: do_set_switch(key, enabled, uow=uow))
    return see_other(f"{BASE}#switches")


@router.post(BASE + "/orphans/backfill")
def backfill(call: PageCall = administering) -> Response:
    job = call.write(lambda uow: do_start_orphan_backfill(uow=uow, requested_by=call.user_id))
    return see_other(f"/jobs/{job.id}")
