"""The process rules in words (what settings pages show) and the conditions they test."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from leadflow.errors import ValidationFailed
from leadflow.process import domain
from leadflow.process.domain import (
    Abandon,
    BranchRule,
    Condition,
    Decision,
    EnterQueue,
    Finish,
    InstanceState,
    InstanceStatus,
    LeadEvent,
    LeaveStage,
    NextStage,
    ProcessDefinition,
    RecordTransition,
    Restart,
    SetActive,
    Stage,
    Step,
    Transition,
    branch_target,
    condition_holds,
    describe_branch,
    describe_transition,
    is_empty,
    missing_steps,
)

DEFINITION = ProcessDefinition(
    "p",
    "P",
    "lead",
    (Stage("a", "Alpha"), Stage("b", "Beta"), Stage("c", "Gamma")),
)
LABELS = {"ready": "Ready", "tier": "Tier"}


@pytest.mark.parametrize(
    ("condition", "words"),
    [
        (Condition("ready", "eq", True), "when Ready ticked → Beta"),
        (Condition("ready", "eq", False), "when Ready not ticked → Beta"),
        (Condition("tier", "eq", "gold"), "when Tier = gold → Beta"),
        (Condition("tier", "ne", "gold"), "when Tier ≠ gold → Beta"),
        (Condition("tier", "is_empty"), "when Tier empty → Beta"),
        (Condition("tier", "is_not_empty"), "when Tier filled in → Beta"),
        (Condition("tier", "in", ["gold", "silver"]), "when Tier one of gold, silver → Beta"),
        (Condition("tier", "in", None), "when Tier one of  → Beta"),
        (Condition("other", "eq", 3), "when other = 3 → Beta"),
    ],
)
def test_a_branch_in_words(condition: Condition, words: str) -> None:
    assert describe_branch(BranchRule("b", (condition,)), DEFINITION, LABELS) == words


def test_branches_join_their_conditions_and_name_unknown_stages_by_key() -> None:
    both = (Condition("ready", "eq", True), Condition("tier", "eq", "gold"))
    three = (*both, Condition("tier", "is_empty"))
    assert describe_branch(BranchRule("c", both), DEFINITION, LABELS) == (
        "when Ready ticked and Tier = gold → Gamma"
    )
    assert describe_branch(BranchRule("c", three, "or"), DEFINITION, LABELS) == (
        "when Ready ticked, Tier = gold or Tier empty → Gamma"
    )
    assert describe_branch(BranchRule("zzz", ()), DEFINITION, LABELS) == "always → zzz"


def test_a_transition_in_words() -> None:
    plain = Transition("t", (LeadEvent.CREATED,), "b")
    assert describe_transition(plain, DEFINITION, LABELS) == (
        "When a lead is created, from any stage → Beta"
    )
    full = Transition(
        "t",
        (LeadEvent.CREATED, LeadEvent.UPDATED, LeadEvent.SALES_READY, LeadEvent.FIRST_SCORED),
        "c",
        from_stages=("a", "b", "x"),
        when=(Condition("ready", "eq", True), Condition("tier", "ne", "lead")),
    )
    assert describe_transition(full, DEFINITION, LABELS) == (
        "When a lead is created, changed, marked sales-ready or first scored"
        " with Ready ticked and Tier ≠ lead, from Alpha, Beta or x → Gamma"
    )


@pytest.mark.parametrize(
    ("value", "empty"),
    [(None, True), ("", True), (False, True), ([], True), ({}, True), (0, False),
     ("x", False), (True, False), ([0], False), ({"a": 1}, False)],
)  # fmt: skip
def test_what_counts_as_empty(value: Any, empty: bool) -> None:
    assert is_empty(value) is empty


def test_missing_steps_are_the_empty_required_ones_in_order() -> None:
    stage = Stage("s", "S", (Step("a", True), Step("b"), Step("c", True), Step("d", True)))
    assert missing_steps(stage, {"a": "", "b": None, "c": "x"}) == ["a", "d"]
    assert missing_steps(stage, {"a": 1, "c": True, "d": [1]}) == []


@pytest.mark.parametrize(
    ("op", "value", "actual", "holds"),
    [
        ("is_empty", None, None, True),
        ("is_empty", None, "x", False),
        ("is_not_empty", None, "x", True),
        ("is_not_empty", None, "", False),
        ("eq", "x", "x", True),
        ("eq", "x", "y", False),
        ("ne", "x", "y", True),
        ("ne", "x", "x", False),
        ("in", ["x", "y"], "y", True),
        ("in", ["x", "y"], "z", False),
        ("in", None, "z", False),
    ],
)
def test_conditions(op: str, value: Any, actual: Any, holds: bool) -> None:
    assert condition_holds(Condition("f", op, value), {"f": actual}) is holds


def test_an_unknown_operator_is_refused() -> None:
    with pytest.raises(ValidationFailed) as refused:
        condition_holds(Condition("f", "like", "x"), {"f": "x"})
    assert (refused.value.message, refused.value.field) == ("Unknown operator 'like'", "op")


def test_the_first_branch_whose_conditions_hold_is_taken() -> None:
    yes, no = Condition("f", "eq", 1), Condition("f", "eq", 2)
    stage = Stage(
        "s",
        "S",
        branches=(
            BranchRule("never", ()),
            BranchRule("all", (yes, no)),
            BranchRule("any", (no, yes), "or"),
            BranchRule("later", (yes,)),
        ),
    )
    assert branch_target(stage, {"f": 1}) == "any"
    assert branch_target(stage, {"f": 3}) is None
    only_and = Stage("s", "S", branches=(BranchRule("x", (yes, yes)),))
    assert branch_target(only_and, {"f": 1}) == "x"


def test_a_definition_finds_stages_by_key_and_refuses_unknown_ones() -> None:
    assert DEFINITION.stage("b").name == "Beta"
    assert DEFINITION.index("c") == 2
    with pytest.raises(ValidationFailed):
        DEFINITION.stage("nope")
    assert domain.parse_definition(domain.DEFAULT_PROCESS).stages[0].key == "inquiry"


def _process(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "key": "p",
        "name": "P",
        "stages": [
            {"key": "a", "name": "Alpha", "steps": [{"field": "ready", "required": True}]},
            {"key": "b", "name": "Beta"},
        ],
        "transitions": [{"key": "t", "on": ["lead.created"], "to": "b"}],
    }
    return data | changes


HOURS = "must be a positive number of hours"


def _stage(**changes: Any) -> dict[str, Any]:
    return _process(stages=[{"key": "a", "name": "Alpha", **changes}, {"key": "b", "name": "B"}])


def _transition(**changes: Any) -> dict[str, Any]:
    return _process(transitions=[{"key": "t", "on": ["lead.created"], "to": "b", **changes}])


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ([], "definition", "must be an object"),
        (_process(key=" "), "key", "must be a non-empty text"),
        (_process(name=3), "name", "must be a non-empty text"),
        (_process(entity="deal"), "entity", "only 'lead' processes are supported"),
        (_process(version=0), "version", "must be a positive whole number"),
        (_process(version=True), "version", "must be a positive whole number"),
        (_process(version="2"), "version", "must be a positive whole number"),
        (_process(stages=[]), "stages", "needs at least one stage"),
        (_process(stages="a"), "stages", "must be a list"),
        (_process(stages=["a"]), "stages[0]", "must be an object"),
        (
            _process(stages=[{"key": "a", "name": "A"}, {"key": "a", "name": "B"}]),
            "stages[1].key",
            "'a' is used twice",
        ),
        (_stage(steps=[{"field": ""}]), "stages[0].steps[0].field", "must be a non-empty text"),
        (_stage(steps={"field": "x"}), "stages[0].steps", "must be a list"),
        (
            _stage(steps=[{"field": "x"}], branches=[{"to": "b", "combine": "xor",
                   "conditions": [{"field": "x"}]}]),
            "stages[0].branches[0].combine",
            "must be 'and' or 'or'",
        ),
        (
            _stage(steps=[{"field": "x"}], branches=[{"to": "b", "conditions": []}]),
            "stages[0].branches[0].conditions",
            "needs at least one condition",
        ),
        (
            _stage(steps=[{"field": "x"}], branches=[{"to": "b", "conditions": [{"field": "y"}]}]),
            "stages[0].branches[0].conditions[0].field",
            "'y' is not a step of this stage",
        ),
        (
            _stage(steps=[{"field": "x"}],
                   branches=[{"to": "b", "conditions": [{"field": "x", "op": "like"}]}]),
            "stages[0].branches[0].conditions[0].op",
            "unknown operator 'like'",
        ),
        (
            _stage(steps=[{"field": "x"}], branches=[{"to": "zz", "conditions": [{"field": "x"}]}]),
            "stages[0].branches[0].to",
            "no stage 'zz'",
        ),
        (_stage(deadline_hours=0), "stages[0].deadline_hours", HOURS),
        (_stage(deadline_hours=True), "stages[0].deadline_hours",
         "must be a positive number of hours"),
        (_stage(deadline_hours="2"), "stages[0].deadline_hours",
         "must be a positive number of hours"),
        (_stage(queue=""), "stages[0].queue", "must be a non-empty text"),
        (_transition(on=[]), "transitions[0].on", "needs at least one event"),
        (
            _transition(on=["lead.deleted"]),
            "transitions[0].on[0]",
            "unknown event 'lead.deleted' (one of lead.created, lead.updated, lead.sales_ready,"
            " lead.scored)",
        ),
        (_transition(to="zz"), "transitions[0].to", "no stage 'zz'"),
        (_transition(**{"from": ["a", "zz"]}), "transitions[0].from[1]", "no stage 'zz'"),
        (_transition(enabled="yes"), "transitions[0].enabled", "must be true or false"),
        (_transition(key=""), "transitions[0].key", "must be a non-empty text"),
        (_transition(when=[{"field": "x", "op": "gt"}]), "transitions[0].when[0].op",
         "unknown operator 'gt'"),
        (_transition(when=["x"]), "transitions[0].when[0]", "must be an object"),
        (
            _process(transitions=[{"key": "t", "on": "lead.created", "to": "b"},
                                  {"key": "t", "on": "lead.updated", "to": "a"}]),
            "transitions[1].key",
            "'t' is used twice",
        ),
    ],
)  # fmt: skip
def test_a_bad_definition_names_the_path_and_the_mistake(
    data: Any, field: str, message: str
) -> None:
    with pytest.raises(ValidationFailed) as refused:
        domain.parse_definition(data)
    assert (refused.value.field, refused.value.message) == (field, f"{field}: {message}")


def test_known_fields_and_switches_are_checked_when_given() -> None:
    data = _process(
        transitions=[
            {
                "key": "t",
                "on": ["lead.updated", "lead.updated"],
                "to": "b",
                "when": [{"field": "ready", "value": True}],
                "switch": "s1",
            }
        ]
    )
    parsed = domain.parse_definition(data, known_fields={"ready"}, known_switches={"s1"})
    [transition] = parsed.transitions
    assert transition == Transition(
        "t", (LeadEvent.UPDATED,), "b", (), (Condition("ready", "eq", True),), "s1", True
    )
    assert parsed.stages[0].steps == (Step("ready", True),)
    for kwargs, field, message in [
        ({"known_fields": {"other"}}, "stages[0].steps[0].field", "no lead field 'ready'"),
        ({"known_switches": {"s2"}}, "transitions[0].switch", "no switch 's1'"),
    ]:
        with pytest.raises(ValidationFailed) as refused:
            domain.parse_definition(data, **kwargs)
        assert (refused.value.field, refused.value.message) == (field, f"{field}: {message}")


def test_a_stage_reads_its_queue_deadline_and_branches() -> None:
    data = _stage(
        steps=[{"field": "x"}, {"field": "y", "required": 1}],
        branches=[{"to": "b", "combine": "or", "conditions": [{"field": "x"}, {"field": "y",
                   "op": "is_empty"}]}],
        queue=" sales ",
        deadline_hours=24,
    )  # fmt: skip
    stage = domain.parse_definition(data).stages[0]
    assert stage == Stage(
        "a",
        "Alpha",
        (Step("x", False), Step("y", True)),
        (BranchRule("b", (Condition("x", "eq"), Condition("y", "is_empty")), "or"),),
        "sales",
        24.0,
    )
    assert isinstance(stage.deadline_hours, float)
    assert domain.parse_definition(_process()).version == 1
    assert domain.parse_definition(_process(version=3)).version == 3


# --- decide: every trigger's exact state and commands ------------------------------------

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
T1 = datetime(2026, 1, 6, 9, 0, tzinfo=UTC)
FLOW = ProcessDefinition(
    "p",
    "P",
    "lead",
    (
        Stage("a", "Alpha", (Step("x", True),), (BranchRule("c", (Condition("y", "eq", 1),)),)),
        Stage("b", "Beta", queue="sales", deadline_hours=24.0),
        Stage("c", "Gamma", (Step("z", True),)),
    ),
)


def _at(stage: str, status: InstanceStatus = InstanceStatus.ACTIVE) -> InstanceState:
    return InstanceState(stage, status, T0)


def test_next_stage_moves_on_in_order_and_by_branch_rule() -> None:
    plain = domain.decide(FLOW, _at("a"), NextStage({"x": "done"}), T1)
    assert plain == Decision(
        InstanceState("b", InstanceStatus.ACTIVE, T1),
        (
            LeaveStage("a"),
            RecordTransition("a", "b", "next stage"),
            EnterQueue("sales", "b", 24.0),
        ),
    )
    branched = domain.decide(FLOW, _at("a"), NextStage({"x": "done", "y": 1}), T1)
    assert branched == Decision(
        InstanceState("c", InstanceStatus.ACTIVE, T1),
        (LeaveStage("a"), RecordTransition("a", "c", "next stage (branch rule)")),
    )


def test_next_stage_is_refused_on_the_last_stage_and_with_a_step_missing() -> None:
    with pytest.raises(ValidationFailed) as last:
        domain.decide(FLOW, _at("c"), NextStage({"z": 1}), T1)
    assert (last.value.message, last.value.field) == (
        "This is the last stage: finish the process instead",
        "stage",
    )
    with pytest.raises(ValidationFailed) as missing:
        domain.decide(FLOW, _at("a"), NextStage({}), T1)
    assert (missing.value.message, missing.value.field) == (
        "Fill in the required step 'x' of stage 'Alpha' first",
        "x",
    )
    assert missing.value.extra["missing_steps"] == ["x"]


def test_finish_and_abandon_leave_the_stage_and_end_the_process() -> None:
    assert domain.decide(FLOW, _at("c"), Finish({"z": 1}), T1) == Decision(
        InstanceState("c", InstanceStatus.FINISHED, T1),
        (LeaveStage("c"), RecordTransition("c", None, "finished")),
    )
    assert domain.decide(FLOW, _at("b"), Abandon(), T1) == Decision(
        InstanceState("b", InstanceStatus.ABANDONED, T1),
        (LeaveStage("b"), RecordTransition("b", None, "abandoned")),
    )


def test_an_ended_process_refuses_moves_but_restarts_and_is_set_active() -> None:
    finished = _at("c", InstanceStatus.FINISHED)
    for trigger in (NextStage({}), Finish({}), Abandon()):
        with pytest.raises(ValidationFailed) as refused:
            domain.decide(FLOW, finished, trigger, T1)
        assert (refused.value.message, refused.value.field) == (
            "The process is finished",
            "status",
        )
    assert domain.decide(FLOW, finished, Restart("b"), T1) == Decision(
        InstanceState("b", InstanceStatus.ACTIVE, T1),
        (LeaveStage("c"), RecordTransition(None, "b", "restarted"), EnterQueue("sales", "b", 24.0)),
    )
    assert domain.decide(FLOW, finished, SetActive("c"), T1) == Decision(
        InstanceState("c", InstanceStatus.ACTIVE, T1),
        (LeaveStage("c"), RecordTransition(None, "c", "set active by hand")),
    )


def test_moving_to_the_stage_it_stands_in_does_nothing() -> None:
    assert domain.decide(FLOW, _at("b"), SetActive("b"), T1) == Decision(_at("b"))
    assert domain.decide(FLOW, _at("b"), Restart("b"), T1) == Decision(_at("b"))
    assert not Decision(_at("b")).moved
    assert Decision(_at("b"), (LeaveStage("b"),)).moved


def test_a_new_instance_enters_the_first_stage() -> None:
    queued = ProcessDefinition("q", "Q", "lead", (Stage("s", "S", queue="tm", deadline_hours=2.0),))
    assert domain.initial_state(queued, T1) == Decision(
        InstanceState("s", InstanceStatus.ACTIVE, T1),
        (RecordTransition(None, "s", "process started"), EnterQueue("tm", "s", 2.0)),
    )
