"""Conditions over facts and the shape checks of a rule."""

from __future__ import annotations

import pytest

from leadflow.automation.domain import condition_problems, conditions_hold

FACTS = {
    "lead.status": "open",
    "lead.sales_ready": False,
    "lead.budget_amount": 5000,
    "lead.parent_contact_id": None,
    "event.kind": "form_submitted",
}


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ({"field": "lead.status", "op": "eq", "value": "Open "}, True),
        ({"field": "lead.status", "op": "ne", "value": "open"}, False),
        ({"field": "lead.sales_ready", "op": "eq", "value": "false"}, True),
        ({"field": "lead.budget_amount", "op": "gte", "value": "5000"}, True),
        ({"field": "lead.budget_amount", "op": "gt", "value": 5000}, False),
        ({"field": "lead.parent_contact_id", "op": "is_empty"}, True),
        ({"field": "lead.parent_contact_id", "op": "gt", "value": 1}, False),
        ({"field": "event.kind", "op": "in", "value": ["page_visited", "form_submitted"]}, True),
        ({"field": "event.kind", "op": "not_in", "value": "page_visited, email_opened"}, True),
        ({"field": "event.kind", "op": "contains", "value": "FORM"}, True),
        ({"field": "lead.missing", "op": "is_not_empty"}, False),
    ],
)
def test_each_operator(condition: dict[str, object], expected: bool) -> None:
    assert conditions_hold([condition], FACTS) is expected


def test_all_and_any_combine_conditions_and_no_condition_always_holds() -> None:
    one_true = [
        {"field": "lead.status", "op": "eq", "value": "open"},
        {"field": "lead.sales_ready", "op": "eq", "value": True},
    ]
    assert conditions_hold(one_true, FACTS, "all") is False
    assert conditions_hold(one_true, FACTS, "any") is True
    assert conditions_hold([], FACTS) is True


def test_malformed_conditions_are_named_by_path() -> None:
    problems = condition_problems(
        [
            {"field": "lead.nope", "op": "eq", "value": 1},
            {"field": "status", "op": "eq", "value": 1},
            {"field": "lead.status", "op": "near", "value": 1},
            {"field": "lead.status", "op": "eq"},
        ],
        lambda source, name: name != "nope",
    )
    assert [path for path, _ in problems] == [
        "conditions[0].field",
        "conditions[1].field",
        "conditions[2].op",
        "conditions[3].value",
    ]
