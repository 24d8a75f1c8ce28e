"""Sync windows: how far a pull or a backfill reads, and the cursor it starts with."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from leadflow.linkedin.domain._model import MAX_BACKFILL_DAYS, PULL_OVERLAP, SyncMode
from leadflow.linkedin.domain._responses import epoch_ms


@dataclass(frozen=True)
class Window:
    start: datetime
    end: datetime


def sync_window(
    mode: SyncMode,
    now: datetime,
    *,
    backfill_days: int,
    synced_through: datetime | None,
) -> Window:
    """The submitted-at range a sync reads: a backfill up to 365 days; a pull from the
    last finished window less the overlap (a backfill when there was none)."""
    days = max(1, min(backfill_days, MAX_BACKFILL_DAYS))
    oldest = now - timedelta(days=MAX_BACKFILL_DAYS)
    if mode is SyncMode.BACKFILL or synced_through is None:
        return Window(max(oldest, now - timedelta(days=days)), now)
    return Window(max(oldest, synced_through - PULL_OVERLAP), now)


def new_cursor(mode: SyncMode, window: Window) -> dict[str, Any]:
    return {
        "mode": mode.value,
        "start_ms": epoch_ms(window.start),
        "end_ms": epoch_ms(window.end),
        "offset": 0,
    }
