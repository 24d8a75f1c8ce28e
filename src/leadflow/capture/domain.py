"""Pure capture rules: form field specs, submission validation, update modes."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from leadflow.lib.normalize import InvalidEmail, normalize_email


class UpdateMode(StrEnum):
    CONTACTS_AND_LEADS = "contacts_and_leads"
    ONLY_CONTACTS = "only_contacts"
    ONLY_LEADS = "only_leads"
    NO_UPDATE = "no_update"


class InputType(StrEnum):
    TEXT = "text"
    LONG_TEXT = "long_text"
    EMAIL = "email"
    PHONE = "phone"
    CHECKBOX = "checkbox"


class SubmissionStatus(StrEnum):
    # Checked and stored; matching and the records follow in the relay's next batch.
    ACCEPTED = "accepted"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    STORED = "stored"


class EventMatchOn(StrEnum):
    EMAIL = "email"
    NAME = "name"
    EMAIL_AND_NAME = "email_and_name"


# The seeded contact strategy each event-registration choice uses.
EVENT_STRATEGY_KEYS = {
    EventMatchOn.EMAIL: "contact_email",
    EventMatchOn.NAME: "contact_name",
    EventMatchOn.EMAIL_AND_NAME: "contact_email_name",
}

SLUG_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{0,98}[a-z0-9]$|^[a-z0-9]$")
FIELD_NAME_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
# Hidden from people, filled in by bots: a submission carrying it is dropped.
HONEYPOT_FIELD = "website_url"
DEFAULT_MAX_LENGTH = 500
LONG_TEXT_MAX_LENGTH = 4000
MAX_FIELDS = 40


@dataclass(frozen=True)
class FormField:
    """One input of a form and where its value goes."""

    name: str
    label: str
    type: InputType = InputType.TEXT
    required: bool = False
    contact_field: str | None = None
    lead_field: str | None = None
    max_length: int = DEFAULT_MAX_LENGTH

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "label": self.label,
            "type": self.type.value,
            "required": self.required,
            "contact_field": self.contact_field,
            "lead_field": self.lead_field,
            "max_length": self.max_length,
        }


DEFAULT_FIELDS = (
    FormField("email", "Email", InputType.EMAIL, True, "email", "email", 320),
    FormField("first_name", "First name", InputType.TEXT, False, "first_name", "first_name", 100),
    FormField("last_name", "Last name", InputType.TEXT, False, "last_name", "last_name", 100),
    FormField("company", "Company", InputType.TEXT, False, None, "company_name", 200),
    FormField("phone", "Phone", InputType.PHONE, False, "phone", "phone", 50),
)


def form_field_from(data: Mapping[str, Any]) -> FormField:
    """A field spec from JSON; raises ValueError naming what is wrong."""
    name = str(data.get("name") or "")
    if not FIELD_NAME_PATTERN.match(name):
        raise ValueError(f"field name {name!r} must be a lower-case identifier")
    if name == HONEYPOT_FIELD:
        raise ValueError(f"{HONEYPOT_FIELD} is reserved")
    try:
        input_type = InputType(data.get("type") or "text")
    except ValueError:
        raise ValueError(f"field {name}: unknown type {data.get('type')!r}") from None
    ceiling = LONG_TEXT_MAX_LENGTH if input_type is InputType.LONG_TEXT else DEFAULT_MAX_LENGTH
    raw_max = data.get("max_length") or ceiling
    if not isinstance(raw_max, int) or raw_max < 1:
        raise ValueError(f"field {name}: max_length must be a positive integer")
    return FormField(
        name=name,
        label=str(data.get("label") or name.replace("_", " ").capitalize())[:200],
        type=input_type,
        required=bool(data.get("required")),
        contact_field=data.get("contact_field") or None,
        lead_field=data.get("lead_field") or None,
        max_length=min(raw_max, ceiling),
    )


@dataclass
class CleanSubmission:
    values: dict[str, Any] = field(default_factory=dict)
    errors: list[dict[str, str]] = field(default_factory=list)


def clean_submission(fields: Sequence[FormField], payload: Mapping[str, Any]) -> CleanSubmission:
    """Trim, length-check, type-check and require; errors name the field at fault."""
    result = CleanSubmission()
    for spec in fields:
        raw = payload.get(spec.name)
        if spec.type is InputType.CHECKBOX:
            result.values[spec.name] = raw not in (None, "", False, "false", "0", "off")
            if spec.required and not result.values[spec.name]:
                result.errors.append({"field": spec.name, "message": f"{spec.label} is required"})
            continue
        if raw is not None and not isinstance(raw, str | int | float):
            result.errors.append({"field": spec.name, "message": f"{spec.label} must be text"})
            continue
        text = "" if raw is None else str(raw).strip()
        if not text:
            if spec.required:
                result.errors.append({"field": spec.name, "message": f"{spec.label} is required"})
            continue
        if len(text) > spec.max_length:
            result.errors.append(
                {
                    "field": spec.name,
                    "message": f"{spec.label} is longer than {spec.max_length} characters",
                }
            )
            continue
        if spec.type is InputType.EMAIL:
            try:
                normalize_email(text)
            except InvalidEmail:
                result.errors.append(
                    {"field": spec.name, "message": f"{spec.label} is not a valid email address"}
                )
                continue
        result.values[spec.name] = text
    return result


def mapped_values(
    fields: Sequence[FormField], values: Mapping[str, Any], target: str
) -> dict[str, Any]:
    """The submitted values by the contact or lead field they map to (custom ones nested)."""
    mapped: dict[str, Any] = {}
    for spec in fields:
        destination = spec.contact_field if target == "contact" else spec.lead_field
        if destination is None or spec.name not in values:
            continue
        if destination.startswith("custom."):
            mapped.setdefault("custom", {})[destination.removeprefix("custom.")] = values[spec.name]
        else:
            mapped[destination] = values[spec.name]
    return mapped


# Where a form's country answer may go: the field it fills, or the input's own name.
_COUNTRY_DESTINATIONS = frozenset({"country", "custom.country"})


def submission_country(fields: Sequence[FormField], values: Mapping[str, Any]) -> str | None:
    """The country the submitter gave, if the form asks for one.

    An input mapped to a contact's or lead's country (built-in or custom), or one named
    `country`. Phones in the same submission are read in it when the record has no
    country of its own.
    """
    for spec in fields:
        value = values.get(spec.name)
        if not isinstance(value, str) or not value:
            continue
        if (
            spec.name == "country"
            or spec.contact_field in _COUNTRY_DESTINATIONS
            or spec.lead_field in _COUNTRY_DESTINATIONS
        ):
            return value
    return None


def creates_contacts(mode: UpdateMode) -> bool:
    return mode in (UpdateMode.CONTACTS_AND_LEADS, UpdateMode.ONLY_CONTACTS)


def creates_leads(mode: UpdateMode) -> bool:
    return mode in (UpdateMode.CONTACTS_AND_LEADS, UpdateMode.ONLY_LEADS)
