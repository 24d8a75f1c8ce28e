"""Interaction kinds. The set is open: these are the ones leadflow itself records."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from enum import StrEnum
from typing import Any


class InteractionKind(StrEnum):
    EMAIL_SENT = "email_sent"
    EMAIL_DELIVERED = "email_delivered"
    EMAIL_OPENED = "email_opened"
    EMAIL_CLICKED = "email_clicked"
    PAGE_VISITED = "page_visited"
    FORM_SUBMITTED = "form_submitted"
    WEBSITE_VISITED = "website_visited"
    EVENT_REGISTERED = "event_registered"
    EVENT_ATTENDED = "event_attended"
    # A telemarketer or salesperson logged a call (activities/services.py).
    CALL_LOGGED = "call_logged"


# Other systems may record their own kinds (e.g. "webinar_watched"); they only
# have to look like an identifier.
KIND_PATTERN = re.compile(r"^[a-z][a-z0-9_]{1,63}$")


def is_valid_kind(kind: str) -> bool:
    return bool(KIND_PATTERN.match(kind))


def parse_interaction_filter(
    raw: Mapping[str, Any], where: str, report: Callable[[str, str], None]
) -> tuple[str | None, tuple[tuple[str, str], ...]]:
    """The target and data filters of a definition's condition on interactions (a scoring
    rule, a segment's behaviour node): `target_id` as text or None, and `data` as sorted
    (key, value) pairs. What cannot be read is reported at `where` and left out."""
    target = raw.get("target_id")
    target_id = str(target).strip() or None if target not in (None, "") else None
    data_raw = raw.get("data") or {}
    data: list[tuple[str, str]] = []
    if not isinstance(data_raw, dict):
        report(f"{where}.data", "data filters are key: value pairs")
    else:
        for key, value in sorted(data_raw.items()):
            if not isinstance(key, str) or not key or value is None:
                report(f"{where}.data", "data filters are key: value pairs")
                continue
            data.append((key, str(value)))
    return target_id, tuple(data)
