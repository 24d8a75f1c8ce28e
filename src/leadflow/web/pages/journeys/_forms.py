"""The designer's settings form read into the settings the service takes (and shown
back), the lists of choices it offers, and an error's field path turned into the
settings field or the tile at fault."""

from __future__ import annotations

import json
import re
import zoneinfo
from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any, TypeVar

from markupsafe import Markup
from pydantic import BaseModel
from pydantic import ValidationError as PydanticValidationError
from starlette.datastructures import FormData

from leadflow.contacts.domain import Consent
from leadflow.errors import ErrorCode, ValidationFailed
from leadflow.web.pages.display import humanize

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
START_EVENTS = (
    ("form_submitted", "A form is submitted"),
    ("segment_entered", "A contact joins a segment"),
    ("lead_sales_ready", "A lead becomes sales-ready"),
)
GOALS = (
    ("lead_sales_ready", "Their lead becomes sales-ready"),
    ("lead_qualified", "Their lead is qualified"),
    ("form_submitted", "They submit a form"),
)
CONSENTS = tuple((c.value, humanize(c.value)) for c in Consent if c is not Consent.NONE)
KIND_NAMES = {
    "send_email": "Send an email",
    "wait": "Wait",
    "condition": "If/then",
    "split": "Random split",
    "create_lead": "Create a lead",
    "update_field": "Update a field",
    "create_task": "Create a task",
    "webhook": "Call a webhook",
    "action": "Run an action",
    "end": "End",
}
CHECK_WORDS = {
    "email_opened": "opened",
    "email_clicked": "clicked",
    "form_submitted": "submitted",
    "page_visited": "visited",
    "event_registered": "registered for",
    "event_attended": "attended",
}
CHECK_TARGETS = {
    "form_submitted": "forms",
    "page_visited": "pages",
    "event_registered": "events",
    "event_attended": "events",
}
# The settings' names as the form groups them: an error on any of them shows there.
SETTINGS_KEYS = {
    "name": "name",
    "target": "target",
    "audience_segment_ids": "audience",
    "audience_mode": "audience",
    "exclusion_segment_ids": "exclusion",
    "suppression_segment_id": "suppression",
    "start_event": "start_event",
    "minimum_consent": "minimum_consent",
    "reentry": "reentry",
    "reentry_after_days": "reentry",
    "reentry_cap": "reentry",
    "goal": "goal",
    "send_window": "window",
    "time_zone": "time_zone",
    "frequency_cap": "cap",
}


@cache
def time_zones() -> tuple[str, ...]:
    zones = sorted(zoneinfo.available_timezones() - {"localtime", "Factory"})
    return ("UTC", *(zone for zone in zones if zone != "UTC"))


def json_script(value: Any) -> Markup:
    """JSON for a <script type="application/json">: only "</" could end it early."""
    return Markup(json.dumps(value).replace("</", "<\\/"))


# --- the settings form ------------------------------------------------------------------


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def _number(form: FormData, name: str) -> int | str | None:
    """A whole number, None when empty; anything else as typed, for the model to refuse
    with the field's name."""
    text = _text(form, name)
    if not text:
        return None
    return int(text) if re.fullmatch(r"-?\d{1,9}", text) else text


def _ids(form: FormData, name: str) -> list[int | str]:
    values: list[int | str] = []
    for raw in form.getlist(name):
        if isinstance(raw, str) and raw.strip():
            text = raw.strip()
            values.append(int(text) if text.isdigit() and len(text) < 19 else text)
    return values


def settings_from_form(form: FormData) -> dict[str, Any]:
    """The journey's settings as posted by the settings form (not yet checked)."""
    start_kind = _text(form, "start_event")
    start_event: dict[str, Any] | None = None
    if start_kind:
        start_event = {"kind": start_kind, "id": None}
        chosen = {
            "form_submitted": _number(form, "start_form"),
            "segment_entered": _number(form, "start_segment"),
        }.get(start_kind)
        if chosen is not None:
            start_event["id"] = chosen
    window: dict[str, Any] | None = None
    if _text(form, "window_on"):
        window = {
            "weekdays": _ids(form, "window_day"),
            "start_hour": _number(form, "window_start"),
            "end_hour": _number(form, "window_end"),
        }
    cap_messages, cap_days = _number(form, "cap_messages"), _number(form, "cap_days")
    cap = None
    if cap_messages is not None or cap_days is not None:
        cap = {"messages": cap_messages, "days": cap_days}
    reentry = _text(form, "reentry") or "never"
    return {
        "target": _text(form, "target") or "contact",
        "audience_segment_ids": _ids(form, "audience_segment"),
        "audience_mode": _text(form, "audience_mode") or "union",
        "exclusion_segment_ids": _ids(form, "exclusion_segment"),
        "suppression_segment_id": _number(form, "suppression_segment"),
        "start_event": start_event,
        "minimum_consent": _text(form, "minimum_consent") or None,
        "reentry": reentry,
        "reentry_after_days": _number(form, "reentry_after_days")
        if reentry == "after_interval"
        else None,
        "reentry_cap": _number(form, "reentry_cap") if reentry == "after_interval" else None,
        "goal": _text(form, "goal") or None,
        "send_window": window,
        "time_zone": _text(form, "time_zone") or "UTC",
        "frequency_cap": cap,
    }


def _blank(value: Any) -> Any:
    return "" if value is None else value


def settings_view(settings: Mapping[str, Any], name: str) -> dict[str, Any]:
    """The settings as the form shows them (from saved or posted settings)."""
    start = settings.get("start_event") or {}
    window = settings.get("send_window") or None
    cap = settings.get("frequency_cap") or {}
    return {
        "name": name,
        "target": settings.get("target") or "contact",
        "audience": list(settings.get("audience_segment_ids") or []),
        "audience_mode": settings.get("audience_mode") or "union",
        "exclusion": list(settings.get("exclusion_segment_ids") or []),
        "suppression": settings.get("suppression_segment_id"),
        "start_event": start.get("kind") or "",
        "start_id": str(start.get("id") or ""),
        "minimum_consent": settings.get("minimum_consent") or "",
        "reentry": settings.get("reentry") or "never",
        "reentry_after_days": _blank(settings.get("reentry_after_days")),
        "reentry_cap": _blank(settings.get("reentry_cap")),
        "goal": settings.get("goal") or "",
        "window_on": window is not None,
        "window_days": list((window or {}).get("weekdays") or [0, 1, 2, 3, 4]),
        "window_start": (window or {}).get("start_hour", 9),
        "window_end": (window or {}).get("end_hour", 17),
        "time_zone": settings.get("time_zone") or "UTC",
        "cap_messages": _blank(cap.get("messages")),
        "cap_days": _blank(cap.get("days")),
    }


def definition_from_form(form: FormData) -> Any:
    """The flow the designer's script keeps in the hidden field."""
    raw = _text(form, "definition")
    if not raw:
        raise ValidationFailed(
            "The journey needs at least one tile",
            field="definition.tiles",
            code=ErrorCode.JOURNEY_DEFINITION_INVALID,
        )
    try:
        return json.loads(raw)
    except ValueError:
        raise ValidationFailed(
            "The flow could not be read", field="definition", code=ErrorCode.MALFORMED_JSON
        ) from None


def _path(loc: Sequence[int | str]) -> str:
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text


M = TypeVar("M", bound=BaseModel)


def checked(model: type[M], raw: Any, prefix: str) -> M:
    """The model of `raw`, or ValidationFailed naming the first field at fault."""
    try:
        return model.model_validate(raw)
    except PydanticValidationError as exc:
        first = exc.errors()[0]
        # A tagged union adds the tag to the path ("tiles[1].send_email.template_id").
        loc = [part for part in first["loc"] if part not in KIND_NAMES]
        field = _path([prefix, *loc])
        message = str(first["msg"])
        if first["type"] == "missing":
            message = f"{humanize(str(loc[-1]))} is needed" if loc else "A value is needed"
        raise ValidationFailed(
            message, field=field, code=ErrorCode.JOURNEY_DEFINITION_INVALID
        ) from None


# --- errors: where they show -------------------------------------------------------------

_TILE_PATH = re.compile(r"^definition\.tiles\[(\d+)\](?:\.(.*))?$")


def error_target(field: str | None, definition: Any) -> tuple[str | None, str | None]:
    """(settings form key, tile id) of an error's field path; both None: about the flow."""
    if not field:
        return None, None
    if field == "name":
        return "name", None
    if field.startswith("settings."):
        head = re.split(r"[.\[]", field[len("settings.") :], maxsplit=1)[0]
        return SETTINGS_KEYS.get(head, head), None
    found = _TILE_PATH.match(field)
    if found and isinstance(definition, Mapping):
        tiles = definition.get("tiles")
        index = int(found.group(1))
        if isinstance(tiles, list) and index < len(tiles) and isinstance(tiles[index], Mapping):
            return None, str(tiles[index].get("id") or "") or None
    return None, None
