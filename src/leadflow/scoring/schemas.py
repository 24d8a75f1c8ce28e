"""Pydantic models of the scoring API edge: what a model definition may hold.

They type the shape; `domain.parse_definition` still checks what depends on the
registry (field names, operators per field type, grade ranges) and names the
part at fault (`rules[0].conditions[1].field`). Unknown members are ignored, as
the parser ignores them, so a model read from the API can be sent back as is.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field, StrictBool, StrictInt
from pydantic.json_schema import SkipJsonSchema

from leadflow.lib.json_types import (
    NOT_BOOL,
    FilledScalar,
    JsonScalar,
    JsonScalarOrList,
)
from leadflow.scoring.domain import MAX_POINTS, MAX_RULES, FieldOp, Frequency, Target

# domain.SCORED_ENTITIES
ScoredEntity = Literal["lead", "contact", "account"]
# Counts, bounds and thresholds are compared with scores, stored in INTEGER columns.
INT32_LOW, INT32_HIGH = -(2**31), 2**31 - 1
Whole = Annotated[int, Field(ge=INT32_LOW, le=INT32_HIGH), NOT_BOOL]
Positive = Annotated[int, Field(ge=1, le=INT32_HIGH), NOT_BOOL]
Points = Annotated[int, Field(ge=-MAX_POINTS, le=MAX_POINTS), NOT_BOOL]
BIGINT_HIGH = 2**63 - 1  # ids are BIGINT


class ScoringConditionIn(BaseModel):
    """A `field` condition (entity, field, op, value) or a `behaviour` condition (kind,
    frequency, target_id, data, min_count, cap, window_days)."""

    type: Literal["field", "behaviour"] = Field(default="field", description="field (default)")
    entity: ScoredEntity | None = Field(default=None, description="field: whose field")
    field: str | None = Field(default=None, description="field: the field's name")
    op: FieldOp = Field(default=FieldOp.EQ, description="field: the test")
    value: JsonScalarOrList = Field(
        default=None,
        description="field: the value (a list for `in`, [low, high] for `between`, "
        "days for `within_last_days`/`older_than_days`; none for `empty`/`not_empty`)",
    )
    kind: str | None = Field(default=None, description="behaviour: an interaction kind")
    frequency: Frequency | None = Field(
        default=None, description="behaviour: score each occurrence, at least once, or none"
    )
    target_id: JsonScalar = Field(
        default=None, description="behaviour: only interactions with this target"
    )
    data: dict[str, FilledScalar] | None = Field(
        default=None, description="behaviour: interaction data that must match"
    )
    min_count: Positive | None = None
    cap: Positive | None = Field(
        default=None, description="behaviour: at most this many occurrences count (each)"
    )
    window_days: Positive | None = Field(
        default=None, description="behaviour: only the last N days"
    )


class ScoringRuleIn(BaseModel):
    """Adds `points` when every condition holds."""

    name: str | None = Field(default=None, description="Defaults to 'Rule N'")
    points: Points = Field(description="Non-zero; negative points subtract")
    conditions: list[ScoringConditionIn] = Field(min_length=1)


class GradeIn(BaseModel):
    """A named score range; grades must follow one another without gaps or overlaps."""

    name: str = Field(min_length=1)
    min: Whole | None = Field(default=None, description="None: no lower bound")
    max: Whole | None = Field(default=None, description="None: no upper bound")


class _ModelMembers(BaseModel):
    # Optional members that may not be null are typed `X | SkipJsonSchema[None]`: the
    # schema refuses null and so does the service (naming the field).
    description: str | None = Field(default=None, description="At most 2,000 characters")
    entity_target: Target | SkipJsonSchema[None] = Field(
        default=None, description="Score the lead's contact (the default) or its account"
    )
    sales_ready_threshold: Whole | None = Field(
        default=None, description="A lead whose score reaches it becomes sales-ready"
    )
    rules: list[ScoringRuleIn] | None = Field(default=None, max_length=MAX_RULES)
    grades: list[GradeIn] | None = None


class ScoringModelIn(_ModelMembers):
    """A new draft model."""

    name: str = Field(description="At most 100 characters")


class ScoringModelPatch(_ModelMembers):
    """The members to change (a draft or stopped model); rules and grades are replaced whole."""

    name: str | SkipJsonSchema[None] = Field(default=None, description="At most 100 characters")


class RescoreIn(BaseModel):
    model_id: Annotated[StrictInt, Field(ge=1, le=BIGINT_HIGH)] | None = Field(
        default=None, description="The live model to rescore; none: every live model"
    )


class ScoringSwitchIn(BaseModel):
    enabled: StrictBool
