"""Pure matching rules: how values normalise and what key a set of values claims."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from leadflow.lib.normalize import InvalidEmail, normalize_email, normalize_text, parse_phone
from leadflow.registry.domain import FieldDef, FieldType


class MatchTarget(StrEnum):
    CONTACT = "contact"
    LEAD = "lead"


@dataclass(frozen=True)
class StrategySeed:
    seed_key: str
    name: str
    target: MatchTarget
    fields: tuple[str, ...]
    is_default: bool


# Created on first start; the event-registration choices reuse the name strategies.
SEEDED_STRATEGIES = (
    StrategySeed("contact_email", "Email", MatchTarget.CONTACT, ("email",), True),
    StrategySeed(
        "lead_email_page",
        "Email and page",
        MatchTarget.LEAD,
        ("email", "marketing_page_id"),
        True,
    ),
    StrategySeed(
        "contact_name",
        "First and last name",
        MatchTarget.CONTACT,
        ("first_name", "last_name"),
        False,
    ),
    StrategySeed(
        "contact_email_name",
        "Email, first and last name",
        MatchTarget.CONTACT,
        ("email", "first_name", "last_name"),
        False,
    ),
)


@dataclass(frozen=True)
class MatchOutcome:
    """What matching decided for one record."""

    contact_id: int | None = None
    lead_id: int | None = None
    created: bool = False
    strategy_id: int | None = None
    strategy_name: str | None = None
    # Other records that matched as well: possible duplicates.
    candidates: list[int] = field(default_factory=list)
    # Why the strategy could not be applied (a missing value), when it could not.
    reason: str | None = None

    @property
    def record_id(self) -> int | None:
        return self.contact_id if self.contact_id is not None else self.lead_id


def normalize_for_match(definition: FieldDef, value: Any, region: str | None = None) -> Any:
    """The comparable form of a value, or None when there is nothing to compare.

    Emails are trimmed and case-folded, phones as `parse_phone` stores them (E.164 when
    they parse, national ones read in `region`), text trimmed and case-insensitive;
    other types compare as their coerced value.
    """
    if value is None:
        return None
    if isinstance(value, str) and not value.strip():
        return None
    if definition.type is FieldType.EMAIL:
        try:
            return normalize_email(str(value))
        except InvalidEmail:
            return str(value).strip().casefold()
    if definition.type is FieldType.PHONE:
        phone = parse_phone(str(value), region)
        return phone.value if phone is not None else None
    if definition.type in (FieldType.TEXT, FieldType.LONG_TEXT, FieldType.URL, FieldType.CHOICE):
        return normalize_text(str(value))
    return definition.coerce(value)


def field_value(values: Mapping[str, Any], definition: FieldDef) -> Any:
    """The raw value a record's `values` give for a field (custom ones under `custom`)."""
    if definition.custom:
        custom = values.get("custom")
        return custom.get(definition.name) if isinstance(custom, Mapping) else None
    return values.get(definition.name)


@dataclass(frozen=True)
class StrategyValues:
    """A strategy applied to one record's values: the normalised values by field, in
    the strategy's order, or the fields that had none (then it cannot be applied)."""

    normalised: dict[str, Any]
    missing: tuple[str, ...]

    @property
    def applies(self) -> bool:
        return not self.missing


def strategy_values(
    fields: Sequence[str],
    definitions: Mapping[str, FieldDef],
    values: Mapping[str, Any],
    region: str | None = None,
) -> StrategyValues:
    """Normalise `values` for the strategy `fields` (`definitions` holds those the
    registry knows; an unknown one counts as missing). Phones needing a region are read
    in `region`."""
    normalised: dict[str, Any] = {}
    missing: list[str] = []
    for name in fields:
        definition = definitions.get(name)
        if definition is None:
            missing.append(name)
            continue
        value = normalize_for_match(definition, field_value(values, definition), region)
        if value is None:
            missing.append(definition.name)
        else:
            normalised[name] = value
    return StrategyValues(normalised, tuple(missing))


def missing_reason(strategy_name: str, missing: Sequence[str]) -> str:
    return f"cannot match on {strategy_name!r}: no value for {', '.join(missing)}"


def match_key(fields: Sequence[str], values: Mapping[str, Any]) -> str:
    """A stable hash of the normalised values, in the strategy's field order."""
    payload = json.dumps([[name, values[name]] for name in fields], default=str, sort_keys=False)
    return hashlib.sha256(payload.encode()).hexdigest()
