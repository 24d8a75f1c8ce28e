"""Pure rules of jobs: the statuses, when a job counts as stale, who may see it."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from leadflow.users.domain import Permission, Role, role_allows

# A running job whose worker has not written for this long is taken as dead and
# resumed from its checkpoint; the runner beats well within it.
STALE_AFTER = timedelta(minutes=2)
HEARTBEAT_EVERY = timedelta(seconds=20)
# A queued job nobody claimed for this long is queued again (its enqueue was lost).
REQUEUE_AFTER = timedelta(minutes=5)
# A job whose worker died this many times is not resumed again: it fails (a job that
# kills its worker would otherwise be retried forever).
MAX_ATTEMPTS = 5


class JobStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def finished(self) -> bool:
        return self in FINISHED


ACTIVE = frozenset({JobStatus.QUEUED, JobStatus.RUNNING})
FINISHED = frozenset({JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELLED})


def stale_before(now: datetime) -> datetime:
    """Heartbeats older than this belong to dead workers."""
    return now - STALE_AFTER


def requeue_before(now: datetime) -> datetime:
    return now - REQUEUE_AFTER


def percent(done: int, total: int) -> int | None:
    """Whole percent done, None while the total is unknown; never above 100."""
    if total <= 0:
        return None
    return max(0, min(100, done * 100 // total))


def may_manage(role: Role, permission: Permission) -> bool:
    """Whoever may start a kind (holds its permission) may see and cancel its jobs."""
    return role_allows(role, permission)


def error_text(exc: BaseException, *, limit: int = 2000) -> str:
    """What a failed job shows: the message of our own errors, the type of others."""
    message = getattr(exc, "message", None)
    text = message if isinstance(message, str) else f"{type(exc).__name__}: {exc}"
    return text[:limit]
