"""The designer's reads beside the services (totals, users), the lists the flow's panel
picks from (emails, segments, fields, users, forms, pages, events, actions, all by name),
and the tiles and split results in words for the readout table."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from leadflow.automation.actions import ACTIONS
from leadflow.journeys.domain import ACTIVE, PositionStatus
from leadflow.journeys.models import JourneyPosition
from leadflow.registry.domain import FieldType, Registry
from leadflow.sales.services import QUEUE_LABELS
from leadflow.users.services import list_users
from leadflow.web.pages.display import humanize
from leadflow.web.pages.journeys._forms import (
    CHECK_TARGETS,
    CHECK_WORDS,
    KIND_NAMES,
    WEEKDAYS,
)
from leadflow.web.pages.lookups import interaction_targets, stage_names
from leadflow.web.pages.rule_builder import PARAM_LABELS, ROLE_LABELS

UPDATABLE_ENTITIES = ("contact", "account", "lead")
_UPDATABLE_TYPES = {
    FieldType.TEXT,
    FieldType.CHOICE,
    FieldType.INTEGER,
    FieldType.DECIMAL,
    FieldType.BOOLEAN,
    FieldType.DATE,
    FieldType.EMAIL,
    FieldType.PHONE,
    FieldType.URL,
}


# --- reads the pages need beside the services ------------------------------------------


def journey_totals(session: Session, journey_ids: Sequence[int]) -> dict[int, dict[str, int]]:
    """Per journey: entries so far, contacts on their way now, entries that finished."""
    if not journey_ids:
        return {}
    active = case((JourneyPosition.status.in_([s.value for s in ACTIVE]), 1), else_=0)
    done = case((JourneyPosition.status == PositionStatus.DONE.value, 1), else_=0)
    rows = session.execute(
        select(JourneyPosition.journey_id, func.count(), func.sum(active), func.sum(done))
        .where(JourneyPosition.journey_id.in_(list(journey_ids)))
        .group_by(JourneyPosition.journey_id)
    )
    return {
        int(journey_id): {
            "entered": int(entered),
            "active": int(on_way or 0),
            "completed": int(finished or 0),
        }
        for journey_id, entered, on_way, finished in rows
    }


def user_names(session: Session) -> dict[int, str]:
    return {user.id: user.name for user in list_users(session)}


# --- the lists the panel picks from -------------------------------------------------------


def _pairs(rows: Sequence[Any]) -> list[list[Any]]:
    return [[int(key), str(name)] for key, name in rows]


def _named(rows: Mapping[str, str]) -> list[list[Any]]:
    return sorted(([key, name] for key, name in rows.items()), key=lambda p: str(p[1]).lower())


def updatable_fields(registry: Registry, entity: str) -> list[dict[str, Any]]:
    fields = [
        {
            "name": d.name,
            "label": d.label,
            "type": d.type.value,
            "options": list(d.options),
        }
        for d in registry.fields_of(entity)
        if d.writable and not d.derived and d.type in _UPDATABLE_TYPES and d.name != "id"
    ]
    return sorted(fields, key=lambda item: str(item["label"]).lower())


def catalogue(
    session: Session,
    registry: Registry,
    *,
    target: str,
    templates: Sequence[tuple[int, str]],
    segments: Sequence[tuple[int, str]],
    journey_owner: str | None = None,
) -> dict[str, Any]:
    """Everything the flow's panel offers, by name (`journey_owner`: whom a tile's
    default owner is)."""
    users = sorted(
        ((user.id, user.name) for user in list_users(session) if user.is_active),
        key=lambda pair: pair[1].lower(),
    )
    targets = interaction_targets(session)
    return {
        "target": target,
        "templates": _pairs(templates),
        "segments": _pairs(segments),
        "users": _pairs(users),
        "journey_owner": journey_owner,
        "forms": _named(targets["form"]),
        "pages": _named(targets["page"]),
        "events": _named(targets["event"]),
        "fields": {entity: updatable_fields(registry, entity) for entity in UPDATABLE_ENTITIES},
        "param_labels": dict(PARAM_LABELS),
        "roles": [[value, label] for value, label in ROLE_LABELS.items()],
        "stages": [[key, name] for key, name in stage_names(session).items()],
        "queues": [[key, label] for key, label in QUEUE_LABELS.items()],
        "actions": [
            {
                "type": item.name,
                "label": item.label,
                "description": item.description,
                "params": dict(item.params),
                "required": sorted(item.required),
            }
            for item in sorted(ACTIONS.values(), key=lambda a: a.label.lower())
        ],
    }


# --- tiles in words (the readout table under the flow) ----------------------------------


def _duration(minutes: Any) -> str:
    if not isinstance(minutes, int):
        return ""
    for size, word in ((10080, "week"), (1440, "day"), (60, "hour")):
        if minutes and minutes % size == 0:
            amount = minutes // size
            return f"{amount} {word}{'' if amount == 1 else 's'}"
    return f"{minutes} minute{'' if minutes == 1 else 's'}"


def _name(items: Sequence[Sequence[Any]], key: Any) -> str | None:
    for item in items:
        if str(item[0]) == str(key):
            return str(item[1])
    return None


def _check_words(check: Mapping[str, Any], names: Mapping[str, Any]) -> str:
    kind = str(check.get("kind"))
    words = CHECK_WORDS.get(kind, humanize(kind))
    if kind in ("email_opened", "email_clicked"):
        template = _name(names["templates"], check.get("template_id"))
        return f"{words} '{template}'" if template else f"{words} any email"
    listed = CHECK_TARGETS.get(kind, "pages")
    target = _name(names[listed], check.get("target_id"))
    return f"{words} '{target}'" if target else f"{words} any {listed[:-1]}"


def tile_title(tile: Mapping[str, Any]) -> str:
    return str(tile.get("label") or KIND_NAMES.get(str(tile.get("kind")), tile.get("kind")))


def describe_tile(tile: Mapping[str, Any], names: Mapping[str, Any]) -> str:
    """One tile in words, its emails, segments, fields and users by name."""
    kind = tile.get("kind")
    if kind == "send_email":
        template = _name(names["templates"], tile.get("template_id"))
        return f"Send '{template}'" if template else "Send an email (none picked)"
    if kind == "wait":
        text = (
            f"Wait until {str(tile['until'])[:16].replace('T', ' ')}"
            if tile.get("until")
            else f"Wait {_duration(tile.get('duration_minutes'))}"
        )
        window = tile.get("window")
        if window:
            days = ", ".join(WEEKDAYS[d] for d in sorted(window.get("weekdays") or []))
            hours = f"{window.get('start_hour')}:00 to {window.get('end_hour')}:00"
            text += f", released {days} {hours}"
        return text
    if kind == "condition":
        joiner = " or " if tile.get("any_of", True) else " and "
        checks = joiner.join(_check_words(c, names) for c in tile.get("checks") or [])
        return f"If {checks} within {_duration(tile.get('timeout_minutes'))}, else no"
    if kind == "split":
        return "Split " + " / ".join(
            f"{b.get('label') or f'branch {i + 1}'} {b.get('percent')}%"
            for i, b in enumerate(tile.get("branches") or [])
        )
    if kind == "create_lead":
        text = (
            "Create a lead for the account (one per account)"
            if tile.get("create_for") == "account"
            else "Create a lead for the contact"
        )
        owner = _name(names["users"], tile.get("owner_id")) if tile.get("owner_id") else None
        return f"{text}, owned by {owner or 'the journey owner'}"
    if kind == "update_field":
        entity = str(tile.get("entity"))
        labels = {f["name"]: f["label"] for f in names["fields"].get(entity, [])}
        field = labels.get(str(tile.get("field")), tile.get("field"))
        value = tile.get("value")
        shown = value if value not in (None, "") else "(empty)"
        return f"Set {humanize(entity)}: {field} to {shown}"
    if kind == "create_task":
        owner = {
            "journey_owner": "the journey's owner",
            "lead_owner": "the lead's owner",
        }.get(str(tile.get("owner")), _name(names["users"], tile.get("user_id")) or "a user")
        return f"Task '{tile.get('title')}' for {owner}"
    if kind == "webhook":
        return f"Call {tile.get('url')}"
    if kind == "action":
        action = ACTIONS.get(str(tile.get("action")))
        return f"Run '{action.label if action else tile.get('action')}'"
    return "Contacts finish here"


def branch_counts(counts: Mapping[str, Any], size: int) -> list[int]:
    """Contacts sent down each of a split's branches, from a tile's counts."""
    listed = counts.get("branches")
    if isinstance(listed, list):
        return [int(listed[i]) if i < len(listed) else 0 for i in range(size)]
    if isinstance(listed, Mapping):
        return [int(listed.get(str(i), listed.get(i, 0)) or 0) for i in range(size)]
    return [int(counts.get(f"branch_{i}", 0) or 0) for i in range(size)]


def outcome_words(tile: Mapping[str, Any], counts: Mapping[str, Any]) -> str:
    if tile.get("kind") == "condition":
        return f"{counts.get('yes', 0)} yes · {counts.get('no', 0)} no"
    if tile.get("kind") == "split":
        branches = tile.get("branches") or []
        numbers = branch_counts(counts, len(branches))
        return " · ".join(
            f"{b.get('label') or f'Branch {i + 1}'}: {n}"
            for i, (b, n) in enumerate(zip(branches, numbers, strict=True))
        )
    return ""


def tile_rows(
    definition: Any,
    names: Mapping[str, Any],
    counts: Mapping[str, Mapping[str, Any]] | None,
    tile_errors: Mapping[str, str],
) -> list[dict[str, Any]]:
    """The tiles in flow order (from the start, depth first), in words, with their counts."""
    if not isinstance(definition, Mapping) or not isinstance(definition.get("tiles"), list):
        return []
    by_id = {
        str(t.get("id")): t
        for t in definition["tiles"]
        if isinstance(t, Mapping) and t.get("id") is not None
    }
    order: list[str] = []
    stack = [str(definition.get("start") or "")]
    while stack:
        tile_id = stack.pop()
        if tile_id in order or tile_id not in by_id:
            continue
        order.append(tile_id)
        tile = by_id[tile_id]
        following = [tile.get("next"), tile.get("yes"), tile.get("no")]
        following += [b.get("next") for b in tile.get("branches") or [] if isinstance(b, Mapping)]
        stack.extend(str(t) for t in reversed(following) if t)
    order += [tile_id for tile_id in by_id if tile_id not in order]
    rows = []
    for tile_id in order:
        tile = by_id[tile_id]
        tile_counts = (counts or {}).get(tile_id, {})
        try:
            summary = describe_tile(tile, names)
        except (TypeError, ValueError, KeyError, IndexError, AttributeError):
            summary = KIND_NAMES.get(str(tile.get("kind")), str(tile.get("kind")))
        rows.append(
            {
                "id": tile_id,
                "title": tile_title(tile),
                "summary": summary,
                "active": tile_counts.get("active", 0),
                "passed": tile_counts.get("passed", 0),
                "outcome": outcome_words(tile, tile_counts) if counts is not None else "",
                "error": tile_errors.get(tile_id),
            }
        )
    return rows
