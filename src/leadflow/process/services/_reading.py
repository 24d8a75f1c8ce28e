"""Reading: a lead's timeline and process bar, the settings page's views, stage counts."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from leadflow.errors import ErrorCode, ValidationFailed
from leadflow.lib.clock import as_utc, utcnow
from leadflow.process import domain
from leadflow.process.domain import (
    InstanceStatus,
    ProcessDefinition,
)
from leadflow.process.models import ProcessDefinitionRow, ProcessInstance, StageTransition
from leadflow.process.services._definitions import load_definition
from leadflow.process.services._instances import current_instance, lead_values
from leadflow.registry.domain import Registry
from leadflow.switches.services import all_switches


@dataclass(frozen=True)
class TimelineEntry:
    from_stage: str | None
    to_stage: str | None
    from_name: str | None
    to_name: str | None
    actor_user_id: int | None
    rule: str | None
    reason: str
    occurred_at: datetime
    seconds_in_from: int | None


def timeline(session: Session, lead_id: int) -> list[TimelineEntry]:
    """Every transition of the lead, newest first, with stage names and time spent."""
    rows = session.scalars(
        select(StageTransition)
        .where(StageTransition.lead_id == lead_id)
        .order_by(StageTransition.occurred_at.desc(), StageTransition.id.desc())
    ).all()
    names: dict[tuple[str, str], str] = {}
    for row in session.scalars(select(ProcessDefinitionRow)):
        for stage in row.body.get("stages", []):
            names[(row.key, stage["key"])] = stage["name"]
    return [
        TimelineEntry(
            row.from_stage,
            row.to_stage,
            names.get((row.process_key, row.from_stage or ""), row.from_stage),
            names.get((row.process_key, row.to_stage or ""), row.to_stage),
            row.actor_user_id,
            row.rule,
            row.reason,
            as_utc(row.occurred_at),
            row.seconds_in_from,
        )
        for row in rows
    ]


def instance_view(session: Session, lead_id: int) -> dict[str, Any] | None:
    """The process bar's data: stages, the active one, time in stage, step values."""
    instance = current_instance(session, lead_id)
    if instance is None:
        return None
    definition = load_definition(session, instance.process_key, instance.process_version)
    values = lead_values(session, lead_id)
    entered = as_utc(instance.entered_stage_at)
    active_index = definition.index(instance.stage)
    return {
        "instance_id": instance.id,
        "process_key": definition.key,
        "process_name": definition.name,
        "version": definition.version,
        "status": instance.status,
        "stage": instance.stage,
        "entered_stage_at": entered.isoformat(),
        "seconds_in_stage": int((utcnow() - entered).total_seconds()),
        "stages": [
            {
                "key": stage.key,
                "name": stage.name,
                "state": (
                    "done"
                    if index < active_index or instance.status == InstanceStatus.FINISHED
                    else "active"
                    if index == active_index
                    else "todo"
                ),
                "steps": [
                    {
                        "field": step.field,
                        "required": step.required,
                        "value": values.get(step.field),
                    }
                    for step in stage.steps
                ],
                "missing": domain.missing_steps(stage, values),
            }
            for index, stage in enumerate(definition.stages)
        ],
    }


def _lead_labels(registry: Registry) -> dict[str, str]:
    return {field.name: field.label for field in registry.fields_of("lead")}


@dataclass(frozen=True)
class TransitionView:
    key: str
    words: str
    enabled: bool
    switch_label: str | None = None
    switch_on: bool = True


def transitions_view(
    session: Session, definition: ProcessDefinition, registry: Registry
) -> list[TransitionView]:
    """The definition's automatic transitions in words, with the org switch each waits on."""
    labels = _lead_labels(registry)
    switches = {switch.key: (switch.label, on) for switch, on in all_switches(session)}
    views = []
    for transition in definition.transitions:
        label, on = switches.get(transition.switch or "", (None, True))
        views.append(
            TransitionView(
                transition.key,
                domain.describe_transition(transition, definition, labels),
                transition.enabled,
                label,
                on,
            )
        )
    return views


@dataclass(frozen=True)
class StageView:
    """A stage as the settings page shows it: names and labels, no keys."""

    name: str
    queue: str | None
    deadline_hours: float | None
    steps: list[tuple[str, bool]]
    ways_out: list[str]


def stages_view(
    definition: ProcessDefinition, registry: Registry, queue_labels: Mapping[str, str]
) -> list[StageView]:
    labels = _lead_labels(registry)
    return [
        StageView(
            name=stage.name,
            queue=queue_labels.get(stage.queue, stage.queue) if stage.queue else None,
            deadline_hours=stage.deadline_hours,
            steps=[(labels.get(step.field, step.field), step.required) for step in stage.steps],
            ways_out=[
                domain.describe_branch(branch, definition, labels) for branch in stage.branches
            ],
        )
        for stage in definition.stages
    ]


def timeline_public(entries: list[TimelineEntry]) -> list[dict[str, Any]]:
    return [
        {
            "from_stage": entry.from_stage,
            "to_stage": entry.to_stage,
            "from_name": entry.from_name,
            "to_name": entry.to_name,
            "actor_user_id": entry.actor_user_id,
            "rule": entry.rule,
            "reason": entry.reason,
            "occurred_at": entry.occurred_at.isoformat(),
            "seconds_in_from": entry.seconds_in_from,
        }
        for entry in entries
    ]


def require_stage(definition: ProcessDefinition, stage: str) -> None:
    if stage not in {s.key for s in definition.stages}:
        raise ValidationFailed(f"No stage '{stage}'", field="stage", code=ErrorCode.STAGE_UNKNOWN)


def stage_counts(session: Session, process_key: str) -> Mapping[str, int]:
    rows = session.execute(
        select(ProcessInstance.stage, func.count())
        .where(
            ProcessInstance.process_key == process_key,
            ProcessInstance.status == InstanceStatus.ACTIVE,
            ProcessInstance.current.is_(True),
        )
        .group_by(ProcessInstance.stage)
    )
    return dict(rows.all())
