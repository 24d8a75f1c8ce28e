"""Interaction kinds. The set is open: these are the ones leadflow itself records."""

from __future__ import annotations

import re
from enum import StrEnum


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
