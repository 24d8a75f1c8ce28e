"""Declared switches. A capability declares its switches at import time with `switch(...)`."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SwitchDef:
    key: str
    label: str
    description: str
    default: bool = True


SWITCHES: dict[str, SwitchDef] = {}


def switch(key: str, label: str, description: str, *, default: bool = True) -> SwitchDef:
    definition = SwitchDef(key, label, description, default)
    SWITCHES[key] = definition
    return definition


# Scoring's switches live here rather than in scoring/ because the process
# reads them too, and capabilities do not import each other.
AUTO_SALES_READY = switch(
    "scoring.auto_sales_ready",
    "Automatic sales-ready",
    "A lead whose score reaches a live model's threshold is marked sales-ready.",
)
AUTO_MARKETING_QUALIFICATION = switch(
    "scoring.auto_marketing_qualification",
    "Automatic marketing qualification",
    "A lead's first score moves it to the process's second stage.",
)
DELETE_SCORES_ON_STOP = switch(
    "scoring.delete_scores_on_stop",
    "Delete scores when a model stops",
    "Stopping a model deletes the scores it gave.",
)
