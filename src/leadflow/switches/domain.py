"""Declared switches and settings: a capability declares its own at import time.

Switches are on/off (`switch(...)`); settings hold a checked text value (`setting(...)`).
Only values changed from their default are stored.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from leadflow.lib.countries import REGION_NAMES
from leadflow.lib.normalize import checked_region


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


@dataclass(frozen=True)
class SettingDef:
    """An org-wide setting with a text value; `clean` checks and canonicalises a new value.

    `clean` raises ValueError with a message for the person who typed the value. An
    empty value clears the setting back to its default.
    """

    key: str
    label: str
    description: str
    clean: Callable[[str], str]
    default: str | None = None
    hint: str = ""
    # Values to offer while typing: (value, what it means).
    suggestions: tuple[tuple[str, str], ...] = ()


SETTINGS: dict[str, SettingDef] = {}


def setting(
    key: str,
    label: str,
    description: str,
    *,
    clean: Callable[[str], str],
    default: str | None = None,
    hint: str = "",
    suggestions: tuple[tuple[str, str], ...] = (),
) -> SettingDef:
    definition = SettingDef(key, label, description, clean, default, hint, suggestions)
    SETTINGS[key] = definition
    return definition


# Phones are read by every record concept and by matching, so the setting lives here.
PHONE_DEFAULT_REGION = setting(
    "phones.default_region",
    "Default phone region",
    "Phone numbers typed without a country code (020 7946 0542) are read in this region "
    "when neither the record nor the submission gives a country.",
    clean=checked_region,
    hint="An ISO 3166 code such as GB, US or DE; empty: numbers without a country code "
    "are kept as typed.",
    suggestions=tuple(sorted(REGION_NAMES.items(), key=lambda item: item[1])),
)
