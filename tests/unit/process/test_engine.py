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
    LeadEvent,
    LeadNews,
    LeaveStage,
    RecordTransition,
)
from leadflow.switches.domain import AUTO_MARKETING_QUALIFICATION, SWITCHES

NOW = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
DEFINITION = domain.parse_definition(domain.DEFAULT_PROCESS)


def state(stage: str) -> InstanceState:
    return InstanceState(stage, InstanceStatus.ACTIVE, NOW)


SWITCHED_ON = {AUTO_MARKETING_QUALIFICATION.key}
CREATED = LeadNews(frozenset({LeadEvent.CREATED}))
FIRST_SCORED = LeadNews(frozenset({LeadEvent.FIRST_SCORED}))


def ticked(field: str) -> LeadNews:
    return LeadNews(frozenset({LeadEvent.UPDATED}), frozenset({field}))


def moved(
    stage: str,
    news: LeadNews,
    values: dict[str, Any] | None = None,
    switches_on: set[str] = SWITCHED_ON,
) -> list[str]:
    """The stages the lead passes through, in order."""
    fired = domain.automatic_moves(DEFINITION, state(stage), news, values or {}, switches_on, NOW)
    return [decision.state.stage for _, decision in fired]


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
    ("stage", "news", "values", "expected"),
    [
        (domain.INQUIRY, FIRST_SCORED, {}, [domain.MARKETING_QUALIFICATION]),
        (domain.MARKETING_QUALIFICATION, FIRST_SCORED, {}, []),
        (domain.INQUIRY, ticked("sales_ready"), {"sales_ready": True}, [domain.SALES_ACCEPTANCE]),
        (
            domain.MARKETING_QUALIFICATION,
            LeadNews(frozenset({LeadEvent.SALES_READY})),
            {"sales_ready": True},
            [domain.SALES_ACCEPTANCE],
        ),
        (
            domain.TELEMARKETING_QUALIFICATION,
            ticked("sales_ready"),
            {"sales_ready": True},
            [domain.SALES_ACCEPTANCE],
        ),
        (
            domain.MARKETING_QUALIFICATION,
            ticked("telemarketing_ready"),
            {"telemarketing_ready": True},
            [domain.TELEMARKETING_ACCEPTANCE],
        ),
        (
            domain.TELEMARKETING_ACCEPTANCE,
            ticked("telemarketing_accepted"),
            {"telemarketing_accepted": True},
            [domain.TELEMARKETING_QUALIFICATION],
        ),
        # Moves only go where the definition allows: a later stage is not pulled back.
        (
            domain.SALES_ACCEPTANCE,
            ticked("telemarketing_ready"),
            {"telemarketing_ready": True},
            [],
        ),
        (
            domain.TELEMARKETING_QUALIFICATION,
            ticked("telemarketing_ready"),
            {"telemarketing_ready": True},
            [],
        ),
        # Unticking, or an update of another field, moves nothing.
        (domain.INQUIRY, ticked("sales_ready"), {"sales_ready": False}, []),
        (domain.INQUIRY, ticked("topic"), {"sales_ready": True}, []),
        # A lead created ready: sales-ready wins over telemarketing; both telemarketing
        # flags take it through acceptance to qualification.
        (
            domain.INQUIRY,
            CREATED,
            {"sales_ready": True, "telemarketing_ready": True},
            [domain.SALES_ACCEPTANCE],
        ),
        (
            domain.INQUIRY,
            CREATED,
            {"telemarketing_ready": True, "telemarketing_accepted": True},
            [domain.TELEMARKETING_ACCEPTANCE, domain.TELEMARKETING_QUALIFICATION],
        ),
        (domain.INQUIRY, CREATED, {}, []),
    ],
)
def test_automatic_moves(
    stage: str, news: LeadNews, values: dict[str, Any], expected: list[str]
) -> None:
    assert moved(stage, news, values) == expected


def test_the_first_score_moves_only_while_its_switch_is_on() -> None:
    assert moved(domain.INQUIRY, FIRST_SCORED) == [domain.MARKETING_QUALIFICATION]
    assert moved(domain.INQUIRY, FIRST_SCORED, switches_on=set()) == []


def test_a_switched_off_transition_moves_nothing() -> None:
    data = copy.deepcopy(domain.DEFAULT_PROCESS)
    data["transitions"][1]["enabled"] = False
    definition = domain.parse_definition(data)
    values = {"sales_ready": True}
    news = ticked("sales_ready")
    assert moved(domain.INQUIRY, news, values) == [domain.SALES_ACCEPTANCE]
    assert domain.automatic_moves(definition, state(domain.INQUIRY), news, values, (), NOW) == []


def test_a_finished_instance_does_not_move_automatically() -> None:
    finished = InstanceState(domain.MARKETING_QUALIFICATION, InstanceStatus.FINISHED, NOW)
    news = ticked("sales_ready")
    fired = domain.automatic_moves(DEFINITION, finished, news, {"sales_ready": True}, (), NOW)
    assert fired == []


def test_definitions_saved_with_moves_read_as_transitions() -> None:
    data = copy.deepcopy(domain.DEFAULT_PROCESS)
    del data["transitions"]
    data["moves"] = [
        {"when": "lead.scored", "to": domain.MARKETING_QUALIFICATION, "from": [domain.INQUIRY]},
        {"when": "lead.telemarketing_ready", "to": domain.TELEMARKETING_ACCEPTANCE},
    ]
    first, second = domain.parse_definition(data).transitions
    assert (first.key, first.on, first.switch) == (
        "first_score",
        (LeadEvent.FIRST_SCORED,),
        AUTO_MARKETING_QUALIFICATION.key,
    )
    assert (second.key, second.on, second.to, second.from_stages) == (
        "telemarketing_ready",
        (LeadEvent.CREATED, LeadEvent.UPDATED),
        domain.TELEMARKETING_ACCEPTANCE,
        (),
    )
    assert second.when == (domain.Condition("telemarketing_ready", "eq", True),)


def test_entering_a_queue_stage_asks_for_the_queue_and_leaving_closes_the_old_stage() -> None:
    [(_, decision)] = domain.automatic_moves(
        DEFINITION,
        state(domain.MARKETING_QUALIFICATION),
        ticked("sales_ready"),
        {"sales_ready": True},
        (),
        NOW,
    )
    assert decision.commands == (
        LeaveStage(domain.MARKETING_QUALIFICATION),
        RecordTransition(
            domain.MARKETING_QUALIFICATION, domain.SALES_ACCEPTANCE, "automatic: sales_ready"
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
    news = ticked("sales_ready")
    assert domain.automatic_moves(DEFINITION, abandoned, news, {"sales_ready": True}, (), NOW) == []


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
        (_broken(["transitions", 0, "to"], "x"), "transitions[0].to"),
        (_broken(["transitions", 1, "from", 2], "nowhere"), "transitions[1].from[2]"),
        (_broken(["transitions", 1, "on", 0], "lead.deleted"), "transitions[1].on[0]"),
        (_broken(["transitions", 1, "on"], []), "transitions[1].on"),
        (
            _broken(["transitions", 2, "when", 0, "field"], "no_such_field"),
            "transitions[2].when[0].field",
        ),
        (_broken(["transitions", 2, "when", 0, "op"], "like"), "transitions[2].when[0].op"),
        (_broken(["transitions", 0, "switch"], "no.such_switch"), "transitions[0].switch"),
        (_broken(["transitions", 0, "enabled"], "yes"), "transitions[0].enabled"),
        # Not text where a name is wanted: refused, not a TypeError from a set lookup.
        (_broken(["transitions", 1, "on", 0], {"event": "x"}), "transitions[1].on[0]"),
        (_broken(["transitions", 1, "from", 0], ["inquiry"]), "transitions[1].from[0]"),
        (_broken(["transitions", 2, "when", 0, "op"], {"eq": 1}), "transitions[2].when[0].op"),
        (_broken(["transitions", 3, "key"], "sales_ready"), "transitions[3].key"),
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
        domain.parse_definition(data, known_fields=known, known_switches=SWITCHES)
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


def test_the_api_schema_names_the_events_and_operators_the_engine_knows() -> None:
    from typing import get_args

    from leadflow.process.schemas import ConditionOp, LeadEventName

    assert set(get_args(LeadEventName)) == {event.value for event in LeadEvent}
    assert set(get_args(ConditionOp)) == set(domain.CONDITION_OPS)
