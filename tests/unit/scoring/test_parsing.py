"""Parsing scoring models: each mistake reported at its path with its exact words,
each valid part read into exactly the values the engine uses."""

from __future__ import annotations

from typing import Any

import pytest

from leadflow.errors import ValidationFailed
from leadflow.registry.services import builtin
from leadflow.scoring.domain import (
    MAX_POINTS,
    MAX_RULES,
    BehaviourCondition,
    Contribution,
    FieldCondition,
    FieldOp,
    Frequency,
    Grade,
    ModelDefinition,
    Problems,
    Rule,
    changed_rules,
    explain,
    go_live_problems,
    parse_definition,
)

REGISTRY = builtin()


def _field(**condition: Any) -> dict[str, Any]:
    return {"rules": [{"points": 5, "conditions": [{"entity": "contact", **condition}]}]}


def _behaviour(**condition: Any) -> dict[str, Any]:
    behaviour = {"type": "behaviour", "kind": "email_opened", **condition}
    return {"rules": [{"points": 5, "conditions": [behaviour]}]}


def _problems(raw: Any) -> list[tuple[str, str]]:
    return parse_definition(raw, REGISTRY)[1].items


def _only_condition(raw: Any) -> Any:
    definition, problems = parse_definition(raw, REGISTRY)
    assert problems.items == []
    [rule] = definition.rules
    [condition] = rule.conditions
    return condition


C0 = "rules[0].conditions[0]"
WHOLE = "must be a whole number"
OBJECT = "a condition is an object"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("rules", [("definition", "a model definition is an object with rules and grades")]),
        ({"rules": "x"}, [("rules", "rules are a list")]),
        ({"rules": ["x"]}, [("rules[0]", "a rule is an object with name, points and conditions")]),
        (
            {"rules": [{"conditions": [{}]}]},
            [("rules[0].points", "points are required (any non-zero whole number)")],
        ),
        (
            {"rules": [{"points": "many", "conditions": [{}]}]},
            [("rules[0].points", "must be a whole number")],
        ),
        (
            {"rules": [{"points": 0, "conditions": [{}]}]},
            [("rules[0].points", f"points must be non-zero and at most {MAX_POINTS}")],
        ),
        (
            {"rules": [{"points": MAX_POINTS + 1, "conditions": [{}]}]},
            [("rules[0].points", f"points must be non-zero and at most {MAX_POINTS}")],
        ),
        (
            {"rules": [{"points": -MAX_POINTS - 1, "conditions": [{}]}]},
            [("rules[0].points", f"points must be non-zero and at most {MAX_POINTS}")],
        ),
        (
            {"rules": [{"points": 1, "conditions": []}]},
            [("rules[0].conditions", "a rule needs at least one condition")],
        ),
        (
            {"rules": [{"points": 1, "conditions": {"a": 1}}]},
            [("rules[0].conditions", "a rule needs at least one condition")],
        ),
        ({"rules": [{"points": 1, "conditions": ["x"]}]}, [(C0, "a condition is an object")]),
        (
            {"rules": [{"points": 1, "conditions": [{"type": "mood"}]}]},
            [(f"{C0}.type", "a condition's type is field or behaviour")],
        ),
        (
            {"rules": [{"points": 1, "conditions": [{"entity": "deal", "field": "x"}]}]},
            [(f"{C0}.entity", "entity must be lead, contact or account")],
        ),
        (_field(field="shoe_size"), [(f"{C0}.field", "unknown field 'shoe_size' on contact")]),
        (_field(field=7), [(f"{C0}.field", "unknown field '7' on contact")]),
        (_field(field="phone"), [(f"{C0}.field", "contact.phone cannot be used for scoring")]),
        (
            _field(field="city", op="like", value="x"),
            [(f"{C0}.op", "unknown operator 'like'")],
        ),
        (
            _field(field="marketing_only", op="contains", value="x"),
            [(f"{C0}.op", "'contains' only applies to text fields")],
        ),
        (
            _field(field="city", op="gt", value="x"),
            [(f"{C0}.op", "'gt' only applies to numbers and dates")],
        ),
        (
            _field(field="city", op="between", value=["a", "b"]),
            [(f"{C0}.op", "'between' only applies to numbers and dates")],
        ),
        (
            _field(field="city", op="within_last_days", value=3),
            [(f"{C0}.op", "'within_last_days' only applies to dates")],
        ),
        (
            _field(field="city", op="in", value=[]),
            [(f"{C0}.value", "'in' needs a list of values")],
        ),
        (
            _field(field="city", op="in", value="London"),
            [(f"{C0}.value", "'in' needs a list of values")],
        ),
        (
            {
                "rules": [
                    {
                        "points": 1,
                        "conditions": [
                            {
                                "entity": "account",
                                "field": "employee_count",
                                "op": "between",
                                "value": [1],
                            }
                        ],
                    }
                ]
            },
            [(f"{C0}.value", "'between' needs two values: low and high")],
        ),
        (
            _field(field="city", op="contains", value="  "),
            [(f"{C0}.value", "'contains' needs some text")],
        ),
        (
            _field(field="city", op="startswith", value=5),
            [(f"{C0}.value", "'startswith' needs some text")],
        ),
        (
            _field(field="city", op="eq"),
            [(f"{C0}.value", "needs a value (use 'empty' to test for no value)")],
        ),
        (
            _behaviour(kind=5),
            [(f"{C0}.kind", "an interaction kind is required (e.g. email_opened)")],
        ),
        (
            _behaviour(frequency="sometimes"),
            [(f"{C0}.frequency", "frequency must be each, at_least or none")],
        ),
        (_behaviour(data=["plan"]), [(f"{C0}.data", "data filters are key: value pairs")]),
        (_behaviour(data={"plan": None}), [(f"{C0}.data", "data filters are key: value pairs")]),
        (_behaviour(data={"": "x"}), [(f"{C0}.data", "data filters are key: value pairs")]),
        (_behaviour(min_count=0), [(f"{C0}.min_count", "must be at least 1")]),
        (_behaviour(min_count=True), [(f"{C0}.min_count", "must be a whole number")]),
        (_behaviour(min_count=1.5), [(f"{C0}.min_count", "must be a whole number")]),
        (_behaviour(window_days=0), [(f"{C0}.window_days", "must be at least 1")]),
        (
            _behaviour(window_days=2**31),
            [(f"{C0}.window_days", f"must be between {-(2**31)} and {2**31 - 1}")],
        ),
        (
            _behaviour(cap=2, frequency="at_least"),
            [(f"{C0}.cap", "a cap only applies to frequency 'each'")],
        ),
        (_behaviour(cap=0, frequency="each"), [(f"{C0}.cap", "must be at least 1")]),
        (
            {
                "rules": [
                    {
                        "points": 1,
                        "conditions": [
                            {"type": "behaviour", "kind": "email_opened", "frequency": "each"},
                            {"type": "behaviour", "kind": "email_clicked", "frequency": "each"},
                        ],
                    }
                ]
            },
            [("rules[0].conditions", "a rule may have at most one 'each' condition")],
        ),
        ({"grades": "hot"}, [("grades", "grades are a list of {name, min, max}")]),
        (
            {"grades": [{"name": "A", "min": 0, "max": 5}, {"name": "A", "min": 6, "max": 9}]},
            [("grades", "grade 'A' is named twice")],
        ),
        (
            {"grades": [{"name": "A", "min": 0, "max": 5}, {"name": "B", "min": 5, "max": 9}]},
            [("grades[1]", "grade 'B' overlaps grade 'A'")],
        ),
        (
            {"grades": [{"name": "A", "min": 0, "max": None}, {"name": "B", "min": 5}]},
            [("grades[1]", "grade 'B' overlaps grade 'A'")],
        ),
        (
            {"grades": [{"name": "A", "min": 0, "max": 5}, {"name": "B", "min": 7, "max": 9}]},
            [("grades[1]", "grade 'B' must start at 6 to follow 'A' without a gap")],
        ),
        ({"grades": ["A"]}, [("grades[0].name", "a grade needs a name")]),
        ({"grades": [{"name": " "}]}, [("grades[0].name", "a grade needs a name")]),
    ],
)
def test_each_mistake_is_reported_at_its_path_in_words(
    raw: Any, expected: list[tuple[str, str]]
) -> None:
    assert _problems(raw) == expected


def test_too_many_rules_are_reported_and_cut() -> None:
    rule = {"points": 1, "conditions": [{"entity": "lead", "field": "topic", "op": "not_empty"}]}
    definition, problems = parse_definition({"rules": [rule] * (MAX_RULES + 1)}, REGISTRY)
    assert problems.items == [("rules", f"a model has at most {MAX_RULES} rules")]
    assert len(definition.rules) == MAX_RULES
    exactly, fine = parse_definition({"rules": [rule] * MAX_RULES}, REGISTRY)
    assert (len(exactly.rules), fine.items) == (MAX_RULES, [])


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        (
            {"field": "city", "op": "eq", "value": "Lyon"},
            FieldCondition("contact", "city", FieldOp.EQ, "Lyon"),
        ),
        ({"field": "city", "value": "Lyon"}, FieldCondition("contact", "city", FieldOp.EQ, "Lyon")),
        (
            {"field": "city", "op": "contains", "value": "  LyOn "},
            FieldCondition("contact", "city", FieldOp.CONTAINS, "lyon"),
        ),
        (
            {"field": "city", "op": "in", "value": ["Lyon", "Paris"]},
            FieldCondition("contact", "city", FieldOp.IN, ["Lyon", "Paris"]),
        ),
        (
            {"field": "city", "op": "empty", "value": "ignored"},
            FieldCondition("contact", "city", FieldOp.EMPTY, None),
        ),
        (
            {"field": "marketing_only", "op": "eq", "value": True},
            FieldCondition("contact", "marketing_only", FieldOp.EQ, True),
        ),
        (
            {"field": "role", "op": "contains", "value": "Decision"},
            FieldCondition("contact", "role", FieldOp.CONTAINS, "decision"),
        ),
    ],
)
def test_field_conditions_are_read_into_the_values_the_engine_compares(
    condition: dict[str, Any], expected: FieldCondition
) -> None:
    assert _only_condition(_field(**condition)) == expected


def test_numbers_are_read_as_numbers() -> None:
    between = {"entity": "account", "field": "employee_count", "op": "between", "value": [1, "9"]}
    revenue = {"entity": "account", "field": "annual_revenue", "op": "gte", "value": "1000.50"}
    definition, problems = parse_definition(
        {"rules": [{"points": 1, "conditions": [between, revenue]}]}, REGISTRY
    )
    assert problems.items == []
    assert definition.rules[0].conditions == (
        FieldCondition("account", "employee_count", FieldOp.BETWEEN, [1, 9]),
        FieldCondition("account", "annual_revenue", FieldOp.GTE, 1000.5),
    )
    assert isinstance(definition.rules[0].conditions[1].value, float)  # type: ignore[union-attr]


def test_behaviour_conditions_are_read_with_their_defaults() -> None:
    assert _only_condition(_behaviour()) == BehaviourCondition("email_opened")
    full = _behaviour(
        frequency="each",
        target_id=" webinar-7 ",
        data={"plan": "pro", "seats": 5},
        min_count="2",
        cap=3,
        window_days=30,
    )
    assert _only_condition(full) == BehaviourCondition(
        "email_opened",
        Frequency.EACH,
        "webinar-7",
        (("plan", "pro"), ("seats", "5")),
        2,
        3,
        30,
    )
    assert _only_condition(_behaviour(target_id="", min_count=None)) == BehaviourCondition(
        "email_opened"
    )
    assert _only_condition(_behaviour(target_id=12, frequency="none")) == BehaviourCondition(
        "email_opened", Frequency.NONE, "12"
    )


def test_a_rule_is_named_after_its_place_when_it_has_no_name() -> None:
    condition = {"entity": "lead", "field": "topic", "op": "not_empty"}
    definition, _ = parse_definition(
        {"rules": [{"points": 3, "conditions": [condition]}, {"name": "  Named  ", "points": -2,
         "conditions": [condition]}]},
        REGISTRY,
    )  # fmt: skip
    assert [(rule.name, rule.points) for rule in definition.rules] == [
        ("Rule 1", 3),
        ("Named", -2),
    ]
    long_name = parse_definition(
        {"rules": [{"name": "x" * 300, "points": 1, "conditions": [condition]}]}, REGISTRY
    )[0]
    assert long_name.rules[0].name == "x" * 200


def test_the_public_form_round_trips() -> None:
    raw = {
        "rules": [
            {
                "name": "Engaged",
                "points": 10,
                "conditions": [
                    {"type": "field", "entity": "contact", "field": "city", "op": "eq",
                     "value": "Lyon"},
                    {"type": "behaviour", "kind": "email_opened", "frequency": "each",
                     "target_id": None, "data": {"plan": "pro"}, "min_count": 1, "cap": 2,
                     "window_days": 7},
                ],
            }
        ],
        "grades": [{"name": "Cold", "min": None, "max": 9}, {"name": "Hot", "min": 10,
                    "max": None}],
    }  # fmt: skip
    definition, problems = parse_definition(raw, REGISTRY)
    assert problems.items == []
    assert definition.public() == raw
    assert parse_definition(definition.public(), REGISTRY)[0] == definition
    assert definition.referenced_fields() == {"lead": set(), "contact": {"city"}, "account": set()}
    assert [definition.grade_of(score) for score in (-5, 9, 10, 99)] == [
        "Cold",
        "Cold",
        "Hot",
        "Hot",
    ]


def test_a_score_outside_every_grade_has_none() -> None:
    definition = ModelDefinition(grades=(Grade("Mid", 10, 20),))
    assert [definition.grade_of(score) for score in (9, 10, 20, 21)] == [None, "Mid", "Mid", None]


def test_going_live_needs_a_rule_besides_the_parse_problems() -> None:
    parse = Problems([("grades", "x")])
    assert go_live_problems(ModelDefinition(), parse).items == [
        ("grades", "x"),
        ("rules", "a model needs at least one rule to go live"),
    ]
    rule = Rule("R", 1, (BehaviourCondition("email_opened"),))
    assert go_live_problems(ModelDefinition(rules=(rule,)), Problems()).items == []
    assert parse.items == [("grades", "x")]  # the parse problems are not changed


def test_raise_first_raises_the_first_problem_at_its_field() -> None:
    Problems().raise_first()
    with pytest.raises(ValidationFailed) as raised:
        Problems([("rules[1].points", "first"), ("grades", "second")]).raise_first()
    assert (raised.value.message, raised.value.field) == ("first", "rules[1].points")


def test_explain_sums_the_rules_that_applied() -> None:
    rules = tuple(Rule(f"R{n}", points, ()) for n, points in enumerate((5, -3, 7)))
    score, contributions = explain(ModelDefinition(rules=rules), [2, 0, 1])
    assert score == 17
    assert [item.public() for item in contributions] == [
        {"rule": 0, "name": "R0", "points": 5, "times": 2, "total": 10},
        {"rule": 2, "name": "R2", "points": 7, "times": 1, "total": 7},
    ]
    assert Contribution(1, "R1", -3, 4).total == -12


def test_changed_rules_lists_each_rule_whose_total_moved() -> None:
    old = [
        {"rule": 0, "name": "A", "total": 10},
        {"rule": 1, "name": "B", "total": 5},
        {"rule": 3, "name": "D", "total": 1},
    ]
    new = [
        {"rule": 0, "name": "A", "total": 10},
        {"rule": 1, "name": "B2", "total": 7},
        {"rule": 2, "name": "C", "total": 3},
    ]
    assert changed_rules(old, new) == [
        {"rule": 1, "name": "B2", "old": 5, "new": 7},
        {"rule": 2, "name": "C", "old": 0, "new": 3},
        {"rule": 3, "name": "D", "old": 1, "new": 0},
    ]
    assert changed_rules([], new) == [
        {"rule": 0, "name": "A", "old": 0, "new": 10},
        {"rule": 1, "name": "B2", "old": 0, "new": 7},
        {"rule": 2, "name": "C", "old": 0, "new": 3},
    ]
    assert changed_rules(old, old) == []


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (
            {"rules": [{"points": 1, "conditions": [
                {"entity": "account", "field": "employee_count", "op": "eq", "value": "many"}]}]},
            [(f"{C0}.value", "Employees must be a whole number")],
        ),
        (
            {"rules": [{"points": 1, "conditions": [
                {"entity": "account", "field": "employee_count", "op": "in", "value": [1, "x"]}]}]},
            [(f"{C0}.value", "Employees must be a whole number")],
        ),
        (
            {"grades": [{"name": "A", "min": "low", "max": "high"}]},
            [("grades[0].min", WHOLE), ("grades[0].max", WHOLE)],
        ),
        (
            {"grades": [{"name": "A", "min": 9, "max": 1}, {"name": "B", "min": 5, "max": 2}]},
            [("grades[0].max", "grade 'A': max 1 is below min 9"),
             ("grades[1].max", "grade 'B': max 2 is below min 5")],
        ),
        (
            {"rules": [{"points": 1, "conditions": [
                "x", 7, {"entity": "lead", "field": "topic", "op": "not_empty"}]}]},
            [(C0, OBJECT), ("rules[0].conditions[1]", OBJECT)],
        ),
        (_behaviour(data={"a": None, "": "x", "b": "y"}),
         [(f"{C0}.data", "data filters are key: value pairs")] * 2),
        (_behaviour(min_count=""), []),
        ({"grades": ""}, []),
        ({"grades": None}, []),
    ],
)  # fmt: skip
def test_more_mistakes_each_at_its_path(raw: Any, expected: list[tuple[str, str]]) -> None:
    assert _problems(raw) == expected


def test_what_a_faulty_behaviour_condition_still_reads_as() -> None:
    definition, problems = parse_definition(
        _behaviour(kind=5, frequency="often", cap=3, data={"a": None, "b": "y"}), REGISTRY
    )
    assert [where for where, _ in problems.items] == [
        f"{C0}.kind",
        f"{C0}.frequency",
        f"{C0}.data",
        f"{C0}.cap",
    ]
    assert definition.rules[0].conditions == (
        BehaviourCondition("", Frequency.AT_LEAST, None, (("b", "y"),), 1, None, None),
    )


def test_limits_are_inclusive() -> None:
    condition = {"entity": "lead", "field": "topic", "op": "not_empty"}
    most = {"rules": [{"points": MAX_POINTS, "conditions": [condition]}]}
    assert _problems(most) == []
    assert _problems({"grades": [{"name": "One", "min": 5, "max": 5}]}) == []
    named = parse_definition({"grades": [{"name": "g" * 150, "min": 1}]}, REGISTRY)[0]
    assert named.grades[0].name == "g" * 100


def test_explain_needs_a_count_for_every_rule() -> None:
    rules = (Rule("R", 5, ()), Rule("S", 1, ()))
    with pytest.raises(ValueError):
        explain(ModelDefinition(rules=rules), [1])
