"""Definitions in words, as the settings page shows them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from leadflow.process.domain._model import (
    BranchRule,
    Condition,
    LeadEvent,
    ProcessDefinition,
    Transition,
)

EVENT_WORDS = {
    LeadEvent.CREATED: "created",
    LeadEvent.UPDATED: "changed",
    LeadEvent.SALES_READY: "marked sales-ready",
    LeadEvent.FIRST_SCORED: "first scored",
}


def _either(words: Sequence[str], last: str = "or") -> str:
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} {last} {words[-1]}"


def _condition_words(condition: Condition, label: str) -> str:
    match condition.op, condition.value:
        case "eq", True:
            return f"{label} ticked"
        case "eq", False:
            return f"{label} not ticked"
        case "eq", value:
            return f"{label} = {value}"
        case "ne", value:
            return f"{label} ≠ {value}"
        case "is_empty", _:
            return f"{label} empty"
        case "is_not_empty", _:
            return f"{label} filled in"
        case _, value:
            return f"{label} one of {', '.join(str(item) for item in value or ())}"


def describe_branch(
    branch: BranchRule, definition: ProcessDefinition, field_labels: Mapping[str, str]
) -> str:
    """A stage's way out in words: "when Sales ready ticked → Sales acceptance"."""
    names = {stage.key: stage.name for stage in definition.stages}
    conditions = [
        _condition_words(condition, field_labels.get(condition.field, condition.field))
        for condition in branch.conditions
    ]
    text = f"when {_either(conditions, branch.combine)}" if conditions else "always"
    return f"{text} → {names.get(branch.to, branch.to)}"


def describe_transition(
    transition: Transition,
    definition: ProcessDefinition,
    field_labels: Mapping[str, str],
) -> str:
    """The transition in words: "When a lead is created or changed with Telemarketing ready
    ticked, from Inquiry or Automated marketing qualification → Telemarketing acceptance"."""
    names = {stage.key: stage.name for stage in definition.stages}
    text = f"When a lead is {_either([EVENT_WORDS[event] for event in transition.on])}"
    conditions = [
        _condition_words(condition, field_labels.get(condition.field, condition.field))
        for condition in transition.when
    ]
    if conditions:
        text += f" with {_either(conditions, 'and')}"
    sources = [names.get(stage, stage) for stage in transition.from_stages]
    text += f", from {_either(sources)}" if sources else ", from any stage"
    return f"{text} → {names.get(transition.to, transition.to)}"
