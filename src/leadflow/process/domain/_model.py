"""The process as data: definitions, instance state, triggers, and the commands decided."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from leadflow.errors import ErrorCode, ValidationFailed

MAX_STAGES = 30
MAX_STEPS = 30
DEFAULT_PROCESS_KEY = "lead_to_opportunity"

CONDITION_OPS = frozenset({"eq", "ne", "is_empty", "is_not_empty", "in"})


class InstanceStatus(StrEnum):
    ACTIVE = "active"
    FINISHED = "finished"
    ABANDONED = "abandoned"


@dataclass(frozen=True)
class Step:
    field: str
    required: bool = False


@dataclass(frozen=True)
class Condition:
    field: str
    op: str
    value: Any = None


@dataclass(frozen=True)
class BranchRule:
    """On leaving a stage: when the conditions hold (all, or any), go to `to`."""

    to: str
    conditions: tuple[Condition, ...]
    combine: str = "and"


@dataclass(frozen=True)
class Stage:
    key: str
    name: str
    steps: tuple[Step, ...] = ()
    branches: tuple[BranchRule, ...] = ()
    # Entering the stage puts the lead in this queue with a task due in `deadline_hours`.
    queue: str | None = None
    deadline_hours: float | None = None


class LeadEvent(StrEnum):
    """What happened to a lead that automatic transitions react to."""

    CREATED = "lead.created"
    UPDATED = "lead.updated"
    SALES_READY = "lead.sales_ready"
    FIRST_SCORED = "lead.scored"


@dataclass(frozen=True)
class Transition:
    """An automatic move: on one of the events `on`, a lead standing in one of
    `from_stages` (any when empty) whose values meet every `when` condition goes
    to `to`. On `lead.updated` it fires only when a `when` field is among the
    changed ones, so editing an unrelated field never moves a lead. `switch`
    names an org switch that must be on."""

    key: str
    on: tuple[LeadEvent, ...]
    to: str
    from_stages: tuple[str, ...] = ()
    when: tuple[Condition, ...] = ()
    switch: str | None = None
    enabled: bool = True


@dataclass(frozen=True)
class LeadNews:
    """What a batch of events says about one lead: which events, which fields changed."""

    events: frozenset[LeadEvent]
    changed: frozenset[str] = frozenset()


@dataclass(frozen=True)
class ProcessDefinition:
    key: str
    name: str
    entity: str
    stages: tuple[Stage, ...]
    transitions: tuple[Transition, ...] = ()
    version: int = 1

    def stage(self, key: str) -> Stage:
        for stage in self.stages:
            if stage.key == key:
                return stage
        raise ValidationFailed(
            f"Process '{self.key}' has no stage '{key}'",
            field="stage",
            code=ErrorCode.STAGE_UNKNOWN,
        )

    def index(self, key: str) -> int:
        return [stage.key for stage in self.stages].index(self.stage(key).key)


@dataclass(frozen=True)
class InstanceState:
    stage: str
    status: InstanceStatus = InstanceStatus.ACTIVE
    entered_at: datetime | None = None


# --- Triggers ------------------------------------------------------------------------------


@dataclass(frozen=True)
class NextStage:
    """A user presses "Next stage"; `values` are the lead's current field values."""

    values: Mapping[str, Any]


@dataclass(frozen=True)
class SetActive:
    stage: str


@dataclass(frozen=True)
class Finish:
    values: Mapping[str, Any]


@dataclass(frozen=True)
class Abandon:
    pass


@dataclass(frozen=True)
class Restart:
    """Back into the process at `stage` (recycling a lead, reactivating one)."""

    stage: str


Trigger = NextStage | SetActive | Finish | Abandon | Restart


# --- Commands ------------------------------------------------------------------------------


@dataclass(frozen=True)
class RecordTransition:
    from_stage: str | None
    to_stage: str | None
    reason: str


@dataclass(frozen=True)
class EnterQueue:
    queue: str
    stage: str
    deadline_hours: float | None


@dataclass(frozen=True)
class LeaveStage:
    """The lead left `stage`: its open queue tasks are closed."""

    stage: str


Command = RecordTransition | EnterQueue | LeaveStage


@dataclass(frozen=True)
class Decision:
    state: InstanceState
    commands: tuple[Command, ...] = field(default_factory=tuple)

    @property
    def moved(self) -> bool:
        return bool(self.commands)
