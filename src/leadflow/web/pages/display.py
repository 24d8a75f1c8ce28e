"""How values look on a page: record titles, formatted cells, links between records."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from leadflow.registry.domain import FieldDef, FieldType

# The fields a record's title is made of, tried in order: the first group with
# a value wins ("Ada Lovelace", else the email, else "Contact #12").
TITLE_FIELDS: dict[str, tuple[tuple[str, ...], ...]] = {
    "contact": (("first_name", "last_name"), ("email",)),
    "account": (("name",), ("domain",)),
    "lead": (("topic",), ("first_name", "last_name"), ("email",), ("company_name",)),
    "opportunity": (("name",),),
    "user": (("name",), ("email",)),
}

# Where a record of each entity has its page; users have none.
PAGE_PATHS: dict[str, str] = {
    "contact": "/contacts",
    "account": "/accounts",
    "lead": "/leads",
    "opportunity": "/opportunities",
}

EMPTY = "—"


@dataclass(frozen=True)
class Cell:
    """One shown value: its text, an optional link, and a CSS hint."""

    text: str
    href: str | None = None
    kind: str = "text"
    empty: bool = False
    external: bool = False


def title_columns(entity: str) -> tuple[str, ...]:
    return tuple(name for group in TITLE_FIELDS[entity] for name in group)


def title_of(entity: str, values: Mapping[str, Any], label: str | None = None) -> str:
    for group in TITLE_FIELDS[entity]:
        parts = [str(values[name]).strip() for name in group if values.get(name)]
        if any(parts):
            return " ".join(part for part in parts if part)
    return f"{label or entity.capitalize()} #{values.get('id')}"


def record_href(entity: str, record_id: Any) -> str | None:
    base = PAGE_PATHS.get(entity)
    return f"{base}/{record_id}" if base and record_id is not None else None


def humanize(value: str) -> str:
    """'decision_maker' -> 'Decision maker': choice values as people read them."""
    text = value.replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def _format_datetime(value: Any) -> str:
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return str(value)
    return moment.strftime("%Y-%m-%d %H:%M")


def _format_number(value: Any) -> str:
    try:
        return f"{float(value):,.2f}"
    except (TypeError, ValueError):
        return str(value)


def cell_for(
    definition: FieldDef, value: Any, titles: Mapping[tuple[str, int], str] | None = None
) -> Cell:
    """A public value (as `to_public` gives it) ready to show."""
    if value is None or value == "":
        return Cell(EMPTY, kind=definition.type.value, empty=True)
    kind = definition.type
    if kind is FieldType.REFERENCE and definition.reference:
        title = (titles or {}).get((definition.reference, int(value)))
        text = title or f"{definition.reference.capitalize()} #{value}"
        return Cell(text, href=record_href(definition.reference, value), kind="reference")
    if kind is FieldType.BOOLEAN:
        return Cell("Yes" if value else "No", kind="boolean")
    if kind is FieldType.CHOICE:
        return Cell(humanize(str(value)), kind="choice")
    if kind is FieldType.DATETIME:
        return Cell(_format_datetime(value), kind="datetime")
    if kind is FieldType.DECIMAL:
        return Cell(_format_number(value), kind="number")
    if kind is FieldType.INTEGER:
        return Cell(f"{int(value)}", kind="number")
    if kind is FieldType.EMAIL:
        return Cell(str(value), href=f"mailto:{value}", kind="email")
    if kind is FieldType.URL:
        text = str(value)
        # Only web links: a stored "javascript:..." must never become a live href.
        href = text if text.lower().startswith(("http://", "https://")) else f"https://{text}"
        return Cell(text, href=href, kind="url", external=True)
    return Cell(str(value), kind=kind.value)


def public_value(definition: FieldDef, values: Mapping[str, Any]) -> Any:
    """A field's value in a `to_public` dict; custom ones live under `custom`."""
    if definition.custom:
        return (values.get("custom") or {}).get(definition.name)
    return values.get(definition.name)


# Interactions in words: "Submitted form 'Contact us'" rather than "form_submitted / target 2".
KIND_WORDS: dict[str, str] = {
    "email_sent": "Was sent email",
    "email_delivered": "Received email",
    "email_opened": "Opened email",
    "email_clicked": "Clicked in email",
    "page_visited": "Visited page",
    "form_submitted": "Submitted form",
    "website_visited": "Visited the website",
    "event_registered": "Registered for event",
    "event_attended": "Attended event",
}
TARGET_WORDS = {"page": "page", "form": "form", "event": "event"}


def kind_words(kind: str) -> str:
    return KIND_WORDS.get(kind, humanize(kind))


def describe_interaction(
    kind: str,
    target_id: str | None,
    targets: Mapping[str, Mapping[str, str]],
    target_kinds: Mapping[str, str],
) -> str:
    """One interaction as a sentence fragment, its target by name when leadflow knows it."""
    words = kind_words(kind)
    if not target_id:
        return words
    names = targets.get(target_kinds.get(kind, ""), {})
    name = names.get(str(target_id))
    return f"{words} '{name}'" if name else f"{words} ({target_id})"


# Who or what moved a lead, as the stage timeline says it.
RULE_WORDS: dict[str, str] = {
    "process.first_score": "Automatically, on the lead's first score",
    "process.sales_ready": "Automatically, when the lead became sales-ready",
    "process.telemarketing_ready": "Automatically, when the lead became telemarketing-ready",
    "process.telemarketing_accepted": "Automatically, when telemarketing accepted the lead",
    "process.queue_stage": "Automatically, by its work queue",
    "sales.reactivate": "Reactivated",
    "sales.recycle": "Sent back to marketing",
}


def rule_words(rule: str | None) -> str:
    """'process.first_score' -> "Automatically, on the lead's first score"."""
    if not rule:
        return ""
    if rule in RULE_WORDS:
        return RULE_WORDS[rule]
    source, _, key = rule.partition(".")
    if source == "process" and key:
        return f"Automatically ({humanize(key).lower()})"
    if source == "automation" and key:
        return f"Automation rule ({humanize(key).lower()})"
    return humanize(rule.replace(".", ": "))


def duration(seconds: float | int | None) -> str:
    """'3 d 4 h', '2 h 5 min', '40 s'."""
    if seconds is None:
        return EMPTY
    total = int(seconds)
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes} min"
    if minutes:
        return f"{minutes} min"
    return f"{secs} s"
