"""Explanations: what each rule gave a lead, and which rules changed between two."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from leadflow.scoring.domain._model import ModelDefinition


@dataclass(frozen=True)
class Contribution:
    """What one rule gave one lead: its points times how often it applied."""

    rule: int
    name: str
    points: int
    times: int

    @property
    def total(self) -> int:
        return self.points * self.times

    def public(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "name": self.name,
            "points": self.points,
            "times": self.times,
            "total": self.total,
        }


def explain(definition: ModelDefinition, times: list[int]) -> tuple[int, list[Contribution]]:
    """The score and the rules that contributed, from how often each rule applied."""
    contributions = [
        Contribution(index, rule.name, rule.points, count)
        for index, (rule, count) in enumerate(zip(definition.rules, times, strict=True))
        if count
    ]
    return sum(item.total for item in contributions), contributions


def changed_rules(old: list[dict[str, Any]], new: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rules whose contribution differs between two explanations (for the history)."""
    if not old:
        return [
            {"rule": item["rule"], "name": item["name"], "old": 0, "new": item["total"]}
            for item in new
        ]
    before = {item["rule"]: item for item in old}
    after = {item["rule"]: item for item in new}
    changes = []
    for rule in sorted(before.keys() | after.keys()):
        old_total = before.get(rule, {}).get("total", 0)
        new_total = after.get(rule, {}).get("total", 0)
        if old_total != new_total:
            name = (after.get(rule) or before.get(rule) or {}).get("name", "")
            changes.append({"rule": rule, "name": name, "old": old_total, "new": new_total})
    return changes


@dataclass(frozen=True)
class Outcome:
    """What a set of rule counts gives: the score, the grade and the explanation."""

    signature: str
    score: int
    grade: str | None
    explanation: list[dict[str, Any]]

    @classmethod
    def of(cls, definition: ModelDefinition, signature: str, times: list[int]) -> Outcome:
        score, contributions = explain(definition, times)
        explanation = [item.public() for item in contributions]
        return cls(signature, score, definition.grade_of(score), explanation)
