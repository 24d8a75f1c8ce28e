"""The org switches that belong to scoring (`scoring.*`), as the API and the pages show them."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from leadflow.switches.services import all_switches

SWITCH_PREFIX = "scoring."


def switches_public(session: Session) -> list[dict[str, Any]]:
    return [
        {"key": d.key, "label": d.label, "description": d.description, "enabled": on}
        for d, on in all_switches(session)
        if d.key.startswith(SWITCH_PREFIX)
    ]
