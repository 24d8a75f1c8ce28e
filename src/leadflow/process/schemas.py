"""Pydantic models of the process API edge: the definition document an import takes.

The import reads JSON or YAML itself and `domain.parse_definition` checks it
(naming the path at fault, `stages[2].key`); these models describe that
document in the OpenAPI schema.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from leadflow.lib.json_types import JsonScalarOrList
from leadflow.process.domain import MAX_STAGES, MAX_STEPS

# domain.CONDITION_OPS
ConditionOp = Literal["eq", "ne", "is_empty", "is_not_empty", "in"]


class StepIn(BaseModel):
    """A lead field to fill in at this stage."""

    field: str = Field(min_length=1, description="A lead field's name")
    required: bool = False


class BranchConditionIn(BaseModel):
    field: str = Field(min_length=1, description="One of this stage's step fields")
    op: ConditionOp = "eq"
    value: JsonScalarOrList = None


class BranchIn(BaseModel):
    """Where the lead goes next when the conditions hold (instead of the next stage)."""

    to: str = Field(min_length=1, description="A stage key")
    combine: Literal["and", "or"] = "and"
    conditions: list[BranchConditionIn] = Field(min_length=1)


class StageIn(BaseModel):
    key: str = Field(min_length=1)
    name: str = Field(min_length=1)
    steps: list[StepIn] = Field(default_factory=list, max_length=MAX_STEPS)
    branches: list[BranchIn] = Field(default_factory=list)
    queue: str | None = Field(default=None, description="The queue whose task opens here")
    deadline_hours: float | None = Field(default=None, gt=0)


class MoveIn(BaseModel):
    """An automatic move to a stage when an event happens."""

    model_config = ConfigDict(populate_by_name=True)

    when: str = Field(min_length=1, description="An event name")
    to: str = Field(min_length=1, description="A stage key")
    from_stages: list[str] = Field(
        default_factory=list, alias="from", description="Only from these stages (none: any)"
    )


class ProcessDefinitionIn(BaseModel):
    """A business process definition; it becomes the next version of its key."""

    key: str = Field(min_length=1)
    name: str = Field(min_length=1)
    entity: Literal["lead"] = "lead"
    version: int = Field(default=1, ge=1, description="Ignored: the next version is given")
    stages: list[StageIn] = Field(min_length=1, max_length=MAX_STAGES)
    moves: list[MoveIn] = Field(default_factory=list)
