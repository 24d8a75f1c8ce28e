"""Webhook challenges, signatures and notifications."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from leadflow.linkedin.domain._model import LeadAction
from leadflow.linkedin.domain._responses import from_epoch_ms


def challenge_response(client_secret: str, challenge_code: str) -> str:
    """Hex HMAC-SHA256 of the challenge code keyed with the app's client secret."""
    return hmac.new(client_secret.encode(), challenge_code.encode(), hashlib.sha256).hexdigest()


def signature(client_secret: str, body: bytes) -> str:
    """What X-LI-Signature carries: hex HMAC-SHA256 of "hmacsha256=" + the raw body."""
    return hmac.new(client_secret.encode(), b"hmacsha256=" + body, hashlib.sha256).hexdigest()


def signature_valid(client_secret: str, body: bytes, header: str | None) -> bool:
    if not header:
        return False
    given = header.strip().lower().removeprefix("hmacsha256=")
    return hmac.compare_digest(signature(client_secret, body), given)


@dataclass(frozen=True)
class Notification:
    response_id: str
    action: LeadAction
    occurred_at: datetime | None
    payload: dict[str, Any]


def parse_notifications(body: Any) -> list[Notification]:
    """LEAD_ACTION notifications (one object or a list); ValueError naming what is wrong."""
    items = body if isinstance(body, list) else [body]
    found: list[Notification] = []
    for item in items:
        if not isinstance(item, Mapping):
            raise ValueError("a notification must be a JSON object")
        urn = item.get("leadGenFormResponse")
        if not isinstance(urn, str) or not urn.strip():
            raise ValueError("leadGenFormResponse is missing")
        try:
            action = LeadAction(str(item.get("leadAction") or ""))
        except ValueError:
            raise ValueError("leadAction must be CREATED or DELETED") from None
        found.append(
            Notification(
                response_id=urn.rsplit(":", 1)[-1][:100],
                action=action,
                occurred_at=from_epoch_ms(item.get("occurredAt")),
                payload=dict(item),
            )
        )
    return found
