"""Rule use cases: list, add, change, switch, remove, runs; seeding the shipped rules."""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from leadflow.automation.actions import action_problems
from leadflow.automation.builtin import BUILTIN_RULES
from leadflow.automation.domain import MATCH_MODES, condition_problems
from leadflow.automation.engine import triggers
from leadflow.automation.events import RuleChanged
from leadflow.automation.models import AutomationRule, RuleRun
from leadflow.db.uow import UnitOfWork, in_own_transaction
from leadflow.errors import Conflict, ErrorCode, NotFound, ValidationFailed
from leadflow.lib.clock import utcnow
from leadflow.registry.domain import Registry

EDITABLE = (
    "name",
    "description",
    "group",
    "trigger",
    "match",
    "conditions",
    "actions",
    "enabled",
    "position",
)
# A shipped rule keeps its trigger; users switch it and adjust conditions and actions.
BUILTIN_FIXED = frozenset({"trigger"})


def rule_public(rule: AutomationRule) -> dict[str, Any]:
    return {
        "id": rule.id,
        "key": rule.key,
        "name": rule.name,
        "description": rule.description,
        "group": rule.group,
        "trigger": rule.trigger,
        "match": rule.match,
        "conditions": rule.conditions,
        "actions": rule.actions,
        "enabled": rule.enabled,
        "builtin": rule.builtin,
        "position": rule.position,
        "updated_at": rule.updated_at.isoformat(),
    }


def list_rules(session: Session) -> list[AutomationRule]:
    return list(
        session.scalars(
            select(AutomationRule).order_by(
                AutomationRule.group, AutomationRule.position, AutomationRule.id
            )
        )
    )


def get_rule(session: Session, rule_id: int) -> AutomationRule:
    rule = session.get(AutomationRule, rule_id)
    if rule is None:
        raise NotFound(f"No automation rule with id {rule_id}", field="id")
    return rule


def get_rule_by_key(session: Session, key: str) -> AutomationRule:
    rule = session.scalar(select(AutomationRule).where(AutomationRule.key == key))
    if rule is None:
        raise NotFound(f"No automation rule '{key}'", field="key")
    return rule


def _check(registry: Registry, values: Mapping[str, Any]) -> None:
    problems: list[tuple[str, str]] = []
    name = str(values.get("name") or "").strip()
    if not name:
        problems.append(("name", "a rule needs a name"))
    if values.get("trigger") not in triggers():
        problems.append(("trigger", f"unknown event '{values.get('trigger')}'"))
    if values.get("match", "all") not in MATCH_MODES:
        problems.append(("match", "match is 'all' or 'any'"))
    conditions = values.get("conditions") or []
    if not isinstance(conditions, list):
        problems.append(("conditions", "conditions are a list"))
    else:
        problems.extend(condition_problems(conditions, registry.has_field))
    problems.extend(action_problems(values.get("actions")))
    if problems:
        path, message = problems[0]
        raise ValidationFailed(
            message,
            field=path,
            extra={"errors": [{"field": p, "message": m} for p, m in problems]},
            code=ErrorCode.RULE_INVALID,
        )


def _key_for(name: str, session: Session) -> str:
    base = "user." + (re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_") or "rule")[:80]
    key, suffix = base, 2
    while session.scalar(select(AutomationRule.id).where(AutomationRule.key == key)) is not None:
        key, suffix = f"{base}_{suffix}", suffix + 1
    return key


def create_rule(data: Mapping[str, Any], *, uow: UnitOfWork) -> AutomationRule:
    unknown = sorted(set(data) - set(EDITABLE))
    if unknown:
        raise ValidationFailed(
            f"Unknown field '{unknown[0]}' on a rule",
            code=ErrorCode.UNKNOWN_FIELD,
            field=unknown[0],
        )
    values = {
        "match": "all",
        "conditions": [],
        "enabled": True,
        "position": 100,
        "description": "",
        "group": "",
        **data,
    }
    _check(uow.registry, values)
    now = utcnow()
    rule = AutomationRule(
        key=_key_for(str(values["name"]), uow.session),
        builtin=False,
        secret=secrets.token_hex(24),
        created_at=now,
        updated_at=now,
        **{name: values[name] for name in EDITABLE},
    )
    uow.session.add(rule)
    uow.session.flush()
    uow.publish(RuleChanged(rule.id))
    return rule


def update_rule(rule_id: int, changes: Mapping[str, Any], *, uow: UnitOfWork) -> AutomationRule:
    rule = get_rule(uow.session, rule_id)
    unknown = sorted(set(changes) - set(EDITABLE))
    if unknown:
        raise ValidationFailed(
            f"Unknown field '{unknown[0]}' on a rule",
            code=ErrorCode.UNKNOWN_FIELD,
            field=unknown[0],
        )
    if rule.builtin:
        fixed = sorted(name for name in changes if name in BUILTIN_FIXED)
        if fixed and changes[fixed[0]] != getattr(rule, fixed[0]):
            raise ValidationFailed(
                f"A shipped rule keeps its {fixed[0]}",
                field=fixed[0],
                code=ErrorCode.SHIPPED_RULE_FIXED,
            )
    merged = {name: changes.get(name, getattr(rule, name)) for name in EDITABLE}
    _check(uow.registry, merged)
    changed = False
    for name in EDITABLE:
        if name in changes and getattr(rule, name) != changes[name]:
            setattr(rule, name, changes[name])
            changed = True
    if changed:
        rule.updated_at = utcnow()
        uow.session.flush()
        uow.publish(RuleChanged(rule.id))
    return rule


def set_rule_enabled(rule_id: int, enabled: bool, *, uow: UnitOfWork) -> AutomationRule:
    return update_rule(rule_id, {"enabled": enabled}, uow=uow)


def delete_rule(rule_id: int, *, uow: UnitOfWork) -> None:
    rule = get_rule(uow.session, rule_id)
    if rule.builtin:
        raise Conflict(
            "A shipped rule cannot be removed; switch it off instead",
            field="id",
            code=ErrorCode.SHIPPED_RULE_FIXED,
        )
    uow.session.delete(rule)
    uow.session.flush()
    uow.publish(RuleChanged(rule_id))


def list_runs(session: Session, rule_id: int, *, limit: int = 50) -> list[RuleRun]:
    return list(
        session.scalars(
            select(RuleRun)
            .where(RuleRun.rule_id == rule_id)
            .order_by(RuleRun.ran_at.desc(), RuleRun.id.desc())
            .limit(limit)
        )
    )


def run_counts(session: Session) -> dict[int, dict[str, int]]:
    counts: dict[int, dict[str, int]] = {}
    rows = session.execute(
        select(RuleRun.rule_id, RuleRun.status, func.count()).group_by(
            RuleRun.rule_id, RuleRun.status
        )
    )
    for rule_id, status, count in rows:
        counts.setdefault(rule_id, {})[status] = count
    return counts


def run_public(run: RuleRun) -> dict[str, Any]:
    return {
        "id": run.id,
        "rule_id": run.rule_id,
        "event": run.event_name,
        "subject": run.subject,
        "status": run.status,
        "message": run.message,
        "ran_at": run.ran_at.isoformat(),
    }


def seed_builtin_rules(*, uow: UnitOfWork) -> list[str]:
    """Insert shipped rules that are not stored yet; returns their keys."""
    stored = set(uow.session.scalars(select(AutomationRule.key)))
    added: list[str] = []
    now = utcnow()
    for key, rule in sorted(BUILTIN_RULES.items()):
        if key in stored:
            continue
        row = AutomationRule(
            key=key,
            name=rule.name,
            description=rule.description,
            group=rule.group,
            trigger=rule.trigger,
            match=rule.match,
            conditions=[dict(item) for item in rule.conditions],
            actions=[dict(item) for item in rule.actions],
            enabled=rule.enabled,
            builtin=True,
            position=rule.position,
            secret=secrets.token_hex(24),
            created_at=now,
            updated_at=now,
        )
        uow.session.add(row)
        uow.session.flush()
        uow.publish(RuleChanged(row.id))
        added.append(key)
    return added


# Use cases: what faces call. Each opens the unit of work (or joins the one its
# face holds open to render), runs the step above and commits.


do_create_rule = in_own_transaction(create_rule)
do_update_rule = in_own_transaction(update_rule)
do_set_rule_enabled = in_own_transaction(set_rule_enabled)
do_delete_rule = in_own_transaction(delete_rule)
