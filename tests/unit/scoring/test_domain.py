from __future__ import annotations

from typing import Any

import pytest

from leadflow.registry.services import builtin
from leadflow.scoring.domain import (
    BehaviourCondition,
    Frequency,
    Problems,
    parse_definition,
    parse_grades,
)
from leadflow.scoring.insight import auc, lift_table


def _problems(raw: Any) -> list[tuple[str, str]]:
    return parse_definition(raw, builtin())[1].items


@pytest.mark.parametrize(
    ("grades", "where", "words"),
    [
        (
            [{"name": "Cold", "min": 0, "max": 25}, {"name": "Warm", "min": 25, "max": 60}],
            "grades[1]",
            "overlaps grade 'Cold'",
        ),
        (
            [{"name": "Cold", "min": 0, "max": 25}, {"name": "Warm", "min": 30, "max": 60}],
            "grades[1]",
            "must start at 26",
        ),
        (
            [
                {"name": "Hot", "min": 61, "max": None},
                {"name": "Warm", "min": None, "max": 60},
                {"name": "Mid", "min": 10, "max": 20},
            ],
            "grades[1]",
            "'Mid' overlaps grade 'Warm'",
        ),
        ([{"name": "Cold", "min": 10, "max": 5}], "grades[0].max", "below min 10"),
        ([{"name": "", "min": 1, "max": 5}], "grades[0].name", "needs a name"),
    ],
)
def test_grades_must_be_continuous_and_not_overlap(
    grades: list[dict[str, Any]], where: str, words: str
) -> None:
    problems = Problems()
    parse_grades(grades, problems)
    assert problems.items and problems.items[0][0] == where
    assert words in problems.items[0][1]


def test_grades_sort_by_range_and_grade_scores() -> None:
    definition, problems = parse_definition(
        {
            "grades": [
                {"name": "Hot", "min": 61, "max": None},
                {"name": "Cold", "min": None, "max": 25},
                {"name": "Warm", "min": 26, "max": 60},
            ]
        },
        builtin(),
    )
    assert not problems.items
    assert [g.name for g in definition.grades] == ["Cold", "Warm", "Hot"]
    assert [definition.grade_of(s) for s in (-5, 25, 26, 60, 61, 10_000)] == [
        "Cold",
        "Cold",
        "Warm",
        "Warm",
        "Hot",
        "Hot",
    ]


def test_conditions_are_checked_against_the_registry_and_operators_by_type() -> None:
    rule = {"points": 5, "conditions": [{"entity": "lead", "field": "nope", "op": "eq"}]}
    assert _problems({"rules": [rule]})[0][0] == "rules[0].conditions[0].field"
    not_scorable = {
        "points": 5,
        "conditions": [{"entity": "lead", "field": "id", "op": "eq", "value": 1}],
    }
    assert "cannot be used for scoring" in _problems({"rules": [not_scorable]})[0][1]
    text_on_number = {
        "points": 5,
        "conditions": [
            {"entity": "account", "field": "employee_count", "op": "contains", "value": "1"}
        ],
    }
    assert _problems({"rules": [text_on_number]})[0] == (
        "rules[0].conditions[0].op",
        "'contains' only applies to text fields",
    )
    zero = {"points": 0, "conditions": [{"type": "behaviour", "kind": "email_opened"}]}
    assert _problems({"rules": [zero]})[0][0] == "rules[0].points"
    cap_on_at_least = {
        "points": 1,
        "conditions": [{"type": "behaviour", "kind": "email_opened", "cap": 2}],
    }
    assert _problems({"rules": [cap_on_at_least]})[0][0] == "rules[0].conditions[0].cap"
    two_each = {
        "points": 1,
        "conditions": [
            {"type": "behaviour", "kind": "email_opened", "frequency": "each"},
            {"type": "behaviour", "kind": "email_clicked", "frequency": "each"},
        ],
    }
    assert _problems({"rules": [two_each]})[0][0] == "rules[0].conditions"


@pytest.mark.parametrize(
    ("frequency", "min_count", "cap", "counts", "expected"),
    [
        (Frequency.EACH, 1, None, [0, 1, 7], [0, 1, 7]),
        (Frequency.EACH, 2, 3, [1, 2, 3, 9], [0, 2, 3, 3]),
        (Frequency.AT_LEAST, 1, None, [0, 1, 5], [0, 1, 1]),
        (Frequency.AT_LEAST, 3, None, [2, 3], [0, 1]),
        (Frequency.NONE, 1, None, [0, 1, 4], [1, 0, 0]),
    ],
)
def test_frequency_multipliers(
    frequency: Frequency, min_count: int, cap: int | None, counts: list[int], expected: list[int]
) -> None:
    condition = BehaviourCondition("email_opened", frequency, min_count=min_count, cap=cap)
    assert [condition.multiplier(count) for count in counts] == expected


def test_auc_and_lift() -> None:
    perfect = [(10, True), (9, True), (1, False), (0, False)]
    assert auc(perfect) == 1.0
    assert auc([(5, True), (5, False)]) == 0.5
    assert auc([(0, True), (10, False)]) == 0.0
    table = lift_table(perfect, deciles=2)
    assert [(row["qualified_rate"], row["lift"]) for row in table] == [(1.0, 2.0), (0.0, 0.0)]
