"""Pure rules of duplicate checks: when the next one runs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

ENTITIES = ("contact", "lead")
# The background task that checks one entity (`duplicates.tasks`).
CHECK_TASK = "duplicates.check"
# After records change, the next check waits this many times the last one's duration
# (and at least the configured pause), so checks take a small share of a worker even
# when a large database changes all the time.
GAP_FACTOR = 20
# A check started this long ago and not finished died with its worker.
RUNNING_AT_MOST = timedelta(minutes=30)


@dataclass(frozen=True)
class CheckState:
    """What the last check of an entity left (all None before the first)."""

    started_at: datetime | None = None
    finished_at: datetime | None = None
    seconds: float | None = None
    requested_at: datetime | None = None

    def running(self, now: datetime) -> bool:
        started = self.started_at
        if started is None or now - started > RUNNING_AT_MOST:
            return False
        return self.finished_at is None or self.finished_at < started

    def stale(self) -> bool:
        """Records changed since the last check started, or none ran yet."""
        return self.finished_at is None or self.requested_at is not None


def next_check_in(
    state: CheckState, now: datetime, *, pause: float = 0.0, forced: bool = False
) -> float | None:
    """Seconds until the entity's next check should start; None when none is due (nothing
    changed since the last one began, or one is running: it asks again when it ends).
    A due check waits until `pause` seconds, and GAP_FACTOR times the last check's
    duration, have passed since the last one ended; a forced one, or any with no pause
    configured, does not wait."""
    if state.running(now):
        return None
    if not forced and not state.stale():
        return None
    if forced or state.finished_at is None or pause <= 0:
        return 0.0
    gap = max(pause, (state.seconds or 0.0) * GAP_FACTOR)
    earliest = state.finished_at + timedelta(seconds=gap)
    return max(0.0, (earliest - now).total_seconds())
