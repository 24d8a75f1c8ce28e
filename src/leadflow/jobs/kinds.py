"""The one way to declare a job kind: `@job_kind("concept.verb", permission=..., label=...)`.

A kind is a function `(context, params) -> result`. It reads what it needs from
`context.container`, reports `context.progress(done, total)`, saves
`context.checkpoint(cursor, uow=uow)` with each batch it commits (and starts
from `context.resume_from` when a dead worker's run is resumed), and calls
`context.raise_if_cancelled()` between batches. It returns a JSON-able summary
(the job's result) or raises to fail the job. Running it again from a
checkpoint must give the same outcome as running it once: batches are
idempotent.

Whoever holds the kind's `permission` may start its jobs, see them and cancel them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from leadflow.jobs.domain import may_manage
from leadflow.jobs.errors import UnknownJobKind
from leadflow.users.domain import Permission, Role

if TYPE_CHECKING:
    from leadflow.jobs.context import JobContext

JobFunction = Callable[["JobContext", Mapping[str, Any]], Mapping[str, Any] | None]


@dataclass(frozen=True)
class JobKind:
    name: str
    run: JobFunction
    permission: Permission
    label: str
    description: str = ""


KINDS: dict[str, JobKind] = {}


def job_kind(
    name: str, *, permission: Permission, label: str, description: str = ""
) -> Callable[[JobFunction], JobFunction]:
    """Declare `function(context, params) -> result` as the job kind `name`."""

    def declare(run: JobFunction) -> JobFunction:
        existing = KINDS.get(name)
        if existing is not None and existing.run is not run:
            raise ValueError(f"job kind {name!r} is declared twice")
        KINDS[name] = JobKind(name, run, permission, label, description or (run.__doc__ or ""))
        return run

    return declare


def kind_of(name: str) -> JobKind:
    try:
        return KINDS[name]
    except KeyError:
        raise UnknownJobKind(f"There is no job kind '{name}'", field="kind") from None


def label_of(name: str) -> str:
    """The kind's label; a kind no longer declared shows its name."""
    found = KINDS.get(name)
    return found.label if found is not None else name


def kinds_for(role: Role) -> list[JobKind]:
    """The kinds whose jobs this role may start, see and cancel."""
    return [kind for _, kind in sorted(KINDS.items()) if may_manage(role, kind.permission)]
