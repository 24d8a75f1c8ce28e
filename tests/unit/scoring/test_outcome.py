"""What a set of rule counts gives a lead (`Outcome.of`), and how two explanations differ."""

from __future__ import annotations

from leadflow.scoring.domain import Grade, ModelDefinition, Outcome, Rule, changed_rules

RULES = (Rule("Opened", 5, ()), Rule("Bounced", -3, ()), Rule("Visited", 7, ()))
GRADES = (Grade("Cold", None, 9), Grade("Warm", 10, 19), Grade("Hot", 20, None))
MODEL = ModelDefinition(rules=RULES, grades=GRADES)


def test_an_outcome_holds_the_signature_score_grade_and_each_rule_that_applied() -> None:
    assert Outcome.of(MODEL, "sig-1", [2, 0, 1]) == Outcome(
        signature="sig-1",
        score=17,
        grade="Warm",
        explanation=[
            {"rule": 0, "name": "Opened", "points": 5, "times": 2, "total": 10},
            {"rule": 2, "name": "Visited", "points": 7, "times": 1, "total": 7},
        ],
    )


def test_the_grade_is_that_of_the_score_the_counts_give() -> None:
    assert Outcome.of(MODEL, "s", [4, 0, 0]).grade == "Hot"  # 20
    assert Outcome.of(MODEL, "s", [1, 2, 0]).grade == "Cold"  # -1


def test_no_rule_applying_gives_score_zero_and_an_empty_explanation() -> None:
    outcome = Outcome.of(MODEL, "sig-0", [0, 0, 0])
    assert (outcome.signature, outcome.score, outcome.grade, outcome.explanation) == (
        "sig-0",
        0,
        "Cold",
        [],
    )


def test_a_model_without_grades_gives_no_grade() -> None:
    outcome = Outcome.of(ModelDefinition(rules=RULES), "s", [1, 1, 1])
    assert (outcome.score, outcome.grade) == (9, None)


def test_a_changed_rule_recorded_without_a_name_is_listed_with_an_empty_name() -> None:
    assert changed_rules([{"rule": 0, "total": 5}], [{"rule": 0, "total": 8}]) == [
        {"rule": 0, "name": "", "old": 5, "new": 8}
    ]
