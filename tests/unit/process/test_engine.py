"""The pure engine: definitions, automatic moves, branch rules, required steps, manual moves."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import pytest

from leadflow.errors import ValidationFailed
from leadflow.process import domain
from leadflow.process.domain import (
    EnterQueue,
    InstanceState,
    InstanceStatus,
    LeaveStage,
    RecordTransition,
)

NOW = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
DEFINITION = domain.parse_definition(domain.DEFAULT_PROCESS)


def state(stage: str) -> InstanceState:
    return InstanceState(stage, InstanceStatus.ACTIVE, NOW)


def occurred(stage: str, name: str) -> str:
    return domain.decide(DEFINITION, state(stage), domain.Occurred(name), NOW).state.stage


def test_the_shipped_process_has_the_five_stages_in_order() -> None:
    assert [s.name for s in DEFINITION.stages] == [
        "Inquiry",
        "Automated marketing qualification",
        "Telemarketing acceptance",
        "Telemarketing qualification",
        "Sales acceptance",
    ]
    assert DEFINITION.name == "Lead to opportunity marketing sales process"


def test_a_new_instance_starts_at_inquiry_and_records_it() -> None:
    decision = domain.initial_state(DEFINITION, NOW)
    assert decision.state.stage == domain.INQUIRY
    assert decision.commands == (RecordTransition(None, domain.INQUIRY, "process started"),)


@pytest.mark.parametrize(
    ("stage", "event", "expected"),
    [
        (domain.INQUIRY, domain.FIRST_SCORED, domain.MARKETING_QUALIFICATION),
        (domain.MARKETING_QUALIFICATION, domain.FIRST_SCORED, domain.MARKETING_QUALIFICATION),
        (domain.INQUIRY, domain.SALES_READY, domain.SALES_ACCEPTANCE),
        (domain.MARKETING_QUALIFICATION, domain.SALES_READY, domain.SALES_ACCEPTANCE),
        (domain.TELEMARKETING_QUALIFICATION, domain.SALES_READY, domain.SALES_ACCEPTANCE),
        (
            domain.MARKETING_QUALIFICATION,
            domain.TELEMARKETING_READY,
            domain.TELEMARKETING_ACCEPTANCE,
        ),
        (
            domain.TELEMARKETING_ACCEPTANCE,
            domain.TELEMARKETING_ACCEPTED,
            domain.TELEMARKETING_QUALIFICATION,
        ),
        # Moves only go where the definition allows: a later stage is not pulled back.
        (domain.SALES_ACCEPTANCE, domain.TELEMARKETING_READY, domain.SALES_ACCEPTANCE),
        (
            domain.TELEMARKETING_QUALIFICATION,
            domain.TELEMARKETING_READY,
            domain.TELEMARKETING_QUALIFICATION,
        ),
    ],
)
def test_automatic_moves(stage: str, event: str, expected: str) -> None:
    assert occurred(stage, event) == expected


def test_entering_a_queue_stage_asks_for_the_queue_and_leaving_closes_the_old_stage() -> None:
    decision = domain.decide(
        DEFINITION, state(domain.MARKETING_QUALIFICATION), domain.Occurred(domain.SALES_READY), NOW
    )
    assert decision.commands == (
        LeaveStage(domain.MARKETING_QUALIFICATION),
        RecordTransition(
            domain.MARKETING_QUALIFICATION, domain.SALES_ACCEPTANCE, "on lead.sales_ready"
        ),
        EnterQueue(domain.SALES_ACCEPTANCE_QUEUE, domain.SALES_ACCEPTANCE, 24.0),
    )


def test_next_stage_skips_telemarketing_when_sales_ready() -> None:
    values = {"sales_ready": True, "telemarketing_ready": True}
    decision = domain.decide(
        DEFINITION, state(domain.MARKETING_QUALIFICATION), domain.NextStage(values), NOW
    )
    assert decision.state.stage == domain.SALES_ACCEPTANCE


def test_next_stage_goes_to_telemarketing_when_telemarketing_ready() -> None:
    values = {"sales_ready": False, "telemarketing_ready": True}
    decision = domain.decide(
        DEFINITION, state(domain.MARKETING_QUALIFICATION), domain.NextStage(values), NOW
    )
    assert decision.state.stage == domain.TELEMARKETING_ACCEPTANCE


def test_next_stage_is_refused_naming_the_empty_required_step() -> None:
    with pytest.raises(ValidationFailed) as caught:
        domain.decide(
            DEFINITION,
            state(domain.TELEMARKETING_QUALIFICATION),
            domain.NextStage({"need": "must_have", "purchase_timeframe": None}),
            NOW,
        )
    assert caught.value.field == "purchase_timeframe"
    assert "purchase_timeframe" in caught.value.message


def test_set_active_moves_backwards_by_hand() -> None:
    decision = domain.decide(
        DEFINITION, state(domain.SALES_ACCEPTANCE), domain.SetActive(domain.INQUIRY), NOW
    )
    assert decision.state.stage == domain.INQUIRY
    assert RecordTransition(domain.SALES_ACCEPTANCE, domain.INQUIRY, "set active by hand") in (
        decision.commands
    )


def test_finish_needs_the_last_stage_steps_and_abandon_stops_automatic_moves() -> None:
    with pytest.raises(ValidationFailed) as caught:
        domain.decide(
            DEFINITION, state(domain.SALES_ACCEPTANCE), domain.Finish({"owner_id": 3}), NOW
        )
    assert caught.value.field == "sales_accepted"
    done = domain.decide(
        DEFINITION,
        state(domain.SALES_ACCEPTANCE),
        domain.Finish({"owner_id": 3, "sales_accepted": True}),
        NOW,
    )
    assert done.state.status is InstanceStatus.FINISHED
    abandoned = domain.decide(DEFINITION, state(domain.INQUIRY), domain.Abandon(), NOW).state
    assert abandoned.status is InstanceStatus.ABANDONED
    after = domain.decide(DEFINITION, abandoned, domain.Occurred(domain.SALES_READY), NOW)
    assert not after.moved


def test_export_then_parse_gives_the_same_definition() -> None:
    exported = domain.definition_to_data(DEFINITION)
    assert domain.parse_definition(exported) == DEFINITION


def _broken(path: list[Any], value: Any) -> dict[str, Any]:
    data = copy.deepcopy(domain.DEFAULT_PROCESS)
    target: Any = data
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    return data


@pytest.mark.parametrize(
    ("data", "field"),
    [
        (_broken(["stages", 2, "key"], ""), "stages[2].key"),
        (_broken(["stages", 1, "branches", 0, "to"], "nowhere"), "stages[1].branches[0].to"),
        (_broken(["stages", 1, "branches", 0, "combine"], "xor"), "stages[1].branches[0].combine"),
        (
            _broken(["stages", 1, "branches", 0, "conditions", 0, "field"], "budget_amount"),
            "stages[1].branches[0].conditions[0].field",
        ),
        (_broken(["stages", 0, "steps", 1, "field"], "no_such_field"), "stages[0].steps[1].field"),
        (_broken(["stages", 4, "deadline_hours"], -1), "stages[4].deadline_hours"),
        (_broken(["moves", 0, "to"], "x"), "moves[0].to"),
        (_broken(["stages"], [{"key": f"s{i}", "name": "S"} for i in range(31)]), "stages"),
        (
            _broken(["stages", 0, "steps"], [{"field": "topic"}] * 31),
            "stages[0].steps",
        ),
        (_broken(["stages", 3, "key"], "inquiry"), "stages[3].key"),
    ],
)
def test_bad_definitions_name_the_path_at_fault(data: dict[str, Any], field: str) -> None:
    known = {"parent_contact_id", "parent_account_id", "sales_ready", "telemarketing_ready"}
    known |= {"telemarketing_accepted", "need", "purchase_timeframe", "purchase_process"}
    known |= {"budget_amount", "description", "owner_id", "sales_accepted", "topic"}
    with pytest.raises(ValidationFailed) as caught:
        domain.parse_definition(data, known_fields=known)
    assert caught.value.field == field


def test_or_branches_take_any_condition() -> None:
    data = copy.deepcopy(domain.DEFAULT_PROCESS)
    data["stages"][0]["branches"] = [
        {
            "to": domain.SALES_ACCEPTANCE,
            "combine": "or",
            "conditions": [
                {"field": "parent_contact_id", "op": "is_not_empty"},
                {"field": "parent_account_id", "op": "is_not_empty"},
            ],
        }
    ]
    definition = domain.parse_definition(data)
    moved = domain.decide(
        definition, state(domain.INQUIRY), domain.NextStage({"parent_account_id": 4}), NOW
    )
    assert moved.state.stage == domain.SALES_ACCEPTANCE
    plain = domain.decide(definition, state(domain.INQUIRY), domain.NextStage({}), NOW)
    assert plain.state.stage == domain.MARKETING_QUALIFICATION
