"""Pure rules for opportunities."""

from __future__ import annotations

from enum import StrEnum


class OpportunityStatus(StrEnum):
    OPEN = "open"
    WON = "won"
    LOST = "lost"
