"""Record forms built from the field registry: what to show, and what a submission means.

A form works on strings: the values a browser sends. `current_values` turns a
record into those strings, `submitted_values` reads them from a request, and
`changes` compares the two so an edit sends the services only what the user
changed (a phone shown in E.164 is not re-parsed because the form was saved).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from leadflow.errors import LeadflowError
from leadflow.records.values import CUSTOM_KEY
from leadflow.registry.domain import FieldDef, FieldType, Registry
from leadflow.registry.sql import field_column
from leadflow.web.pages.display import humanize, public_value

TRUE = "true"
FALSE = "false"

_INPUT_TYPES: dict[FieldType, tuple[str, str | None]] = {
    # The server is the one judge of emails and URLs: a browser's own check
    # would refuse some it accepts ("contoso.com") and accept some it refuses.
    FieldType.TEXT: ("text", None),
    FieldType.EMAIL: ("text", "email"),
    FieldType.PHONE: ("tel", "tel"),
    FieldType.URL: ("text", "url"),
    FieldType.INTEGER: ("number", "numeric"),
    FieldType.DECIMAL: ("text", "decimal"),
    FieldType.DATE: ("date", None),
    FieldType.DATETIME: ("datetime-local", None),
}


@dataclass(frozen=True)
class FormField:
    """One input of a record form, with what to show in it and what went wrong."""

    definition: FieldDef
    widget: str
    value: str
    error: str | None = None
    input_type: str = "text"
    inputmode: str | None = None
    options: list[tuple[str, str]] = field(default_factory=list)
    blank: str | None = None

    @property
    def name(self) -> str:
        return self.definition.name

    @property
    def label(self) -> str:
        return self.definition.label

    @property
    def wide(self) -> bool:
        return self.widget == "textarea"


def editable_fields(registry: Registry, entity: str) -> list[FieldDef]:
    return [
        definition
        for definition in registry.fields_of(entity)
        if definition.writable and definition.type is not FieldType.JSON
    ]


def _not_null(definition: FieldDef) -> bool:
    if definition.custom:
        return False
    return not bool(getattr(field_column(definition), "nullable", True))


def form_value(definition: FieldDef, value: Any) -> str:
    """A public value as the string its input holds."""
    if value is None:
        return FALSE if definition.type is FieldType.BOOLEAN else ""
    if definition.type is FieldType.BOOLEAN:
        return TRUE if value else FALSE
    if definition.type is FieldType.DATETIME:
        try:
            return datetime.fromisoformat(str(value)).strftime("%Y-%m-%dT%H:%M")
        except ValueError:
            return str(value)
    if isinstance(value, float):
        return f"{value:.0f}" if value.is_integer() else repr(value)
    return str(value)


def current_values(definitions: list[FieldDef], record: Mapping[str, Any]) -> dict[str, str]:
    return {d.name: form_value(d, public_value(d, record)) for d in definitions}


def submitted_values(definitions: list[FieldDef], form: Mapping[str, Any]) -> dict[str, str]:
    """What the browser sent; an unchecked checkbox sends nothing, which means false."""
    values: dict[str, str] = {}
    for definition in definitions:
        raw = form.get(definition.name)
        text = raw.strip() if isinstance(raw, str) else ""
        if definition.type is FieldType.BOOLEAN:
            values[definition.name] = TRUE if text and text != FALSE else FALSE
        else:
            values[definition.name] = text
    return values


def _typed(definition: FieldDef, text: str) -> Any:
    if definition.type is FieldType.BOOLEAN:
        return text == TRUE
    return text or None


def changes(
    definitions: list[FieldDef], values: Mapping[str, str], baseline: Mapping[str, str] | None
) -> dict[str, Any]:
    """The service input: all filled-in values (creating) or the changed ones (editing)."""
    data: dict[str, Any] = {}
    custom: dict[str, Any] = {}
    for definition in definitions:
        text = values.get(definition.name, "")
        if baseline is None and text == "":
            continue
        if baseline is not None and baseline.get(definition.name, "") == text:
            continue
        target = custom if definition.custom else data
        target[definition.name] = _typed(definition, text)
    if custom:
        data[CUSTOM_KEY] = custom
    return data


def error_field(error: LeadflowError, names: set[str]) -> str | None:
    """The form input an error belongs to, if the form has it."""
    name = (error.field or "").removeprefix(f"{CUSTOM_KEY}.")
    return name if name in names else None


def build_form(
    definitions: list[FieldDef],
    values: Mapping[str, str],
    *,
    creating: bool,
    errors: Mapping[str, str] | None = None,
    reference_options: Mapping[str, list[Any] | None] | None = None,
) -> list[FormField]:
    errors = errors or {}
    references = reference_options or {}
    built: list[FormField] = []
    for definition in definitions:
        common: dict[str, Any] = {
            "definition": definition,
            "value": values.get(definition.name, ""),
            "error": errors.get(definition.name),
        }
        kind = definition.type
        # Leaving a select blank on a new record means "the default"; on an
        # existing one a blank is offered only where the column can hold it.
        blank = "—" if creating or not _not_null(definition) else None
        if kind is FieldType.BOOLEAN:
            built.append(FormField(widget="checkbox", **common))
        elif kind is FieldType.LONG_TEXT:
            built.append(FormField(widget="textarea", **common))
        elif kind is FieldType.CHOICE:
            options = [(option, humanize(option)) for option in definition.options]
            built.append(FormField(widget="select", options=options, blank=blank, **common))
        elif kind is FieldType.REFERENCE and references.get(definition.name) is not None:
            pairs = references[definition.name] or []
            # A name alone, unless two records share it: then their numbers tell them apart.
            seen = Counter(title for _, title in pairs)
            options = [
                (str(record_id), f"{title} (#{record_id})" if seen[title] > 1 else title)
                for record_id, title in pairs
            ]
            current = str(common["value"] or "")
            if current and current not in {value for value, _ in options}:
                # A record out of the caller's reach stays linked: kept, not named.
                options.append((current, f"#{current}"))
            built.append(FormField(widget="select", options=options, blank="—", **common))
        else:
            input_type, inputmode = _INPUT_TYPES.get(kind, ("number", "numeric"))
            built.append(
                FormField(widget="input", input_type=input_type, inputmode=inputmode, **common)
            )
    return built


def form_text(form: Mapping[str, Any], name: str) -> str:
    """A posted text value, stripped; "" when it is missing or a file."""
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""
