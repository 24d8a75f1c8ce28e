"""Pure scoring rules: model definitions, their validation, grades and explanations.

A model is a list of rules; a rule ANDs its conditions and adds `points` when
they hold. A field condition tests the lead, its contact or its account. A
behaviour condition counts the lead's interactions of one kind (optionally one
target, data filters and a window of N days) and scores *each* occurrence (up to
a cap), *at least* once, or only when there is *none*.

Private modules by part: `_model` (the closed sets and the types of a definition),
`_parser` (definitions read and checked from data) and `_explain` (what each rule gave
a lead, and what changed); this face hands their names on.
"""

from leadflow.scoring.domain._explain import Contribution, Outcome, changed_rules, explain
from leadflow.scoring.domain._model import (
    DATE_TYPES,
    DAY_OPS,
    MAX_POINTS,
    MAX_RULES,
    NO_VALUE_OPS,
    ORDER_OPS,
    ORDERED_TYPES,
    SCORED_ENTITIES,
    TEXT_OPS,
    TEXT_TYPES,
    BehaviourCondition,
    Condition,
    FieldCondition,
    FieldOp,
    Frequency,
    Grade,
    ModelDefinition,
    Problems,
    Rule,
    Status,
    Target,
)
from leadflow.scoring.domain._parser import go_live_problems, parse_definition, parse_grades

__all__ = [
    "DATE_TYPES",
    "DAY_OPS",
    "MAX_POINTS",
    "MAX_RULES",
    "NO_VALUE_OPS",
    "ORDERED_TYPES",
    "ORDER_OPS",
    "SCORED_ENTITIES",
    "TEXT_OPS",
    "TEXT_TYPES",
    "BehaviourCondition",
    "Condition",
    "Contribution",
    "FieldCondition",
    "FieldOp",
    "Frequency",
    "Grade",
    "ModelDefinition",
    "Outcome",
    "Problems",
    "Rule",
    "Status",
    "Target",
    "changed_rules",
    "explain",
    "go_live_problems",
    "parse_definition",
    "parse_grades",
]
