"""Defences of the public capture endpoints: rate limits, form tokens, the visitor cookie."""

from __future__ import annotations

import math
import threading
from collections import deque

from itsdangerous import BadSignature, URLSafeTimedSerializer

VISITOR_COOKIE = "leadflow_visitor"
VISITOR_MAX_AGE = 365 * 24 * 3600
FORM_TOKEN_FIELD = "form_token"
# A landing page stays submittable for a day after it was opened.
FORM_TOKEN_MAX_AGE = 24 * 3600


class RateLimiter:
    """At most `limit` hits per key in any `window` seconds (a sliding log per key).

    In-process: each server process counts its own traffic, which is what a
    single-node deployment needs; limit 0 switches it off.
    """

    def __init__(self, limit: int, window: float = 60.0, max_keys: int = 100_000) -> None:
        self.limit = limit
        self.window = window
        self.max_keys = max_keys
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def hit(self, key: str, now: float) -> int | None:
        """Count a hit; None when allowed, else the seconds to wait."""
        if self.limit <= 0:
            return None
        with self._lock:
            hits = self._hits.get(key)
            if hits is None:
                if len(self._hits) >= self.max_keys:
                    self._hits.clear()
                hits = self._hits[key] = deque()
            while hits and hits[0] <= now - self.window:
                hits.popleft()
            if len(hits) >= self.limit:
                return max(1, math.ceil(hits[0] + self.window - now))
            hits.append(now)
            return None


def _serializer(secret: str, salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt=salt)


def form_token(secret: str, form_secret: str, form_id: int) -> str:
    """A token the landing page embeds; only pages this server rendered carry a valid one."""
    return _serializer(secret + form_secret, "leadflow.form").dumps(form_id)


def form_token_valid(secret: str, form_secret: str, form_id: int, token: str | None) -> bool:
    if not token:
        return False
    try:
        value = _serializer(secret + form_secret, "leadflow.form").loads(
            token, max_age=FORM_TOKEN_MAX_AGE
        )
    except BadSignature:
        return False
    return bool(value == form_id)


def event_token(secret: str, event_id: int) -> str:
    """The token an event's registration page embeds (events have no secret of their own)."""
    return _serializer(secret, "leadflow.event").dumps(event_id)


def event_token_valid(secret: str, event_id: int, token: str | None) -> bool:
    if not token:
        return False
    try:
        value = _serializer(secret, "leadflow.event").loads(token, max_age=FORM_TOKEN_MAX_AGE)
    except BadSignature:
        return False
    return bool(value == event_id)


def visitor_cookie(secret: str, contact_id: int) -> str:
    return _serializer(secret, "leadflow.visitor").dumps(contact_id)


def visitor_of(secret: str, cookie: str | None) -> int | None:
    """The contact a signed visitor cookie names, or None."""
    if not cookie:
        return None
    try:
        value = _serializer(secret, "leadflow.visitor").loads(cookie, max_age=VISITOR_MAX_AGE)
    except BadSignature:
        return None
    return value if isinstance(value, int) else None


def submitter_cookie(secret: str, submission_id: int) -> str:
    """The visitor cookie of someone whose submission is not processed yet: it names
    the submission; the next page view learns the contact from it."""
    return _serializer(secret, "leadflow.visitor").dumps({"submission": submission_id})


def submission_of(secret: str, cookie: str | None) -> int | None:
    """The submission a visitor cookie names (set before it was processed), or None."""
    if not cookie:
        return None
    try:
        value = _serializer(secret, "leadflow.visitor").loads(cookie, max_age=VISITOR_MAX_AGE)
    except BadSignature:
        return None
    found = value.get("submission") if isinstance(value, dict) else None
    return found if isinstance(found, int) else None
