"""The process edge: the definition document an import takes, and the bodies of the moves.

An import reads JSON or YAML with `parse_definition_text` (the API, the settings
page and `leadflow process import` alike) and `domain.parse_definition` checks
it (naming the path at fault, `stages[2].key`); the models below describe that
document in the OpenAPI schema.
"""

from __future__ import annotations

import json
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field

from leadflow.errors import BadRequest, ErrorCode, ValidationFailed
from leadflow.lib.bounds import nul_location
from leadflow.lib.json_types import JsonScalarOrList
from leadflow.process.domain import MAX_STAGES, MAX_STEPS

# domain.CONDITION_OPS
ConditionOp = Literal["eq", "ne", "is_empty", "is_not_empty", "in"]
# domain.LeadEvent
LeadEventName = Literal["lead.created", "lead.updated", "lead.sales_ready", "lead.scored"]


def parse_definition_text(text: str, content_type: str) -> Any:
    """A definition document, JSON or YAML by content type (YAML is a superset for the rest)."""
    try:
        data = json.loads(text) if "json" in content_type else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise BadRequest(f"The definition cannot be read: {exc}") from None
    where = nul_location(data)
    if where is not None:  # written as an escape ("\0", "\u0000"): no raw byte to see earlier
        raise ValidationFailed(
            "The definition holds a NUL character",
            code=ErrorCode.NUL_CHARACTER,
            field=where or "body",
        )
    return data


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


class TransitionConditionIn(BaseModel):
    field: str = Field(min_length=1, description="A lead field's name")
    op: ConditionOp = "eq"
    value: JsonScalarOrList = None


class TransitionIn(BaseModel):
    """An automatic move: on an event, a lead in one of `from` meeting `when` goes to `to`."""

    model_config = ConfigDict(populate_by_name=True)

    key: str = Field(min_length=1, description="Names the move in the lead's timeline")
    on: list[LeadEventName] = Field(min_length=1, description="The events it reacts to")
    when: list[TransitionConditionIn] = Field(
        default_factory=list,
        description="Conditions over the lead's fields, all of which must hold; on "
        "lead.updated one of these fields must be among the changed ones",
    )
    from_stages: list[str] = Field(
        default_factory=list, alias="from", description="Only from these stages (none: any)"
    )
    to: str = Field(min_length=1, description="A stage key")
    switch: str | None = Field(default=None, description="An org switch that must be on")
    enabled: bool = True


class ProcessDefinitionIn(BaseModel):
    """A business process definition; it becomes the next version of its key."""

    key: str = Field(min_length=1)
    name: str = Field(min_length=1)
    entity: Literal["lead"] = "lead"
    version: int = Field(default=1, ge=1, description="Ignored: the next version is given")
    stages: list[StageIn] = Field(min_length=1, max_length=MAX_STAGES)
    transitions: list[TransitionIn] = Field(default_factory=list)


class StageBody(BaseModel):
    stage: str = Field(min_length=1, max_length=64)


class SwitchBody(BaseModel):
    process_key: str = Field(min_length=1, max_length=64)
