"""Background work on Huey: SQLite storage by default, Redis when configured.

A concept's wiring binds its tasks to the process's queue with
`queue.bind(name, function)` (periodic ones with `schedule=crontab(...)`), the
function closing over what the wiring hands it (a unit of work, the queue, the
`Dependencies`). A task that needs none of those may be declared with
`@background("name")` instead; bootstrap binds it. Tasks take ids, call one
service and are idempotent: Huey may run a task again after a worker dies. Long
work with progress is a job kind (`leadflow.jobs.kinds.job_kind`), run by the
`jobs.run` task.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from huey import Huey, RedisHuey, SqliteHuey

from leadflow.config import Settings

TaskFunction = Callable[..., Any]
# A Huey schedule: `crontab(...)` returns a function of the current time.
Schedule = Callable[[Any], bool]
_DECLARED: dict[str, TaskFunction] = {}
_SCHEDULES: dict[str, Schedule] = {}


def background(
    name: str, *, schedule: Schedule | None = None
) -> Callable[[TaskFunction], TaskFunction]:
    """Declare a function as a background task under a stable name; with a
    `schedule` the worker also runs it periodically."""

    def declare(function: TaskFunction) -> TaskFunction:
        existing = _DECLARED.get(name)
        if existing is not None and existing is not function:
            raise ValueError(f"task {name!r} is declared twice")
        _DECLARED[name] = function
        if schedule is not None:
            _SCHEDULES[name] = schedule
        return function

    return declare


def build_huey(settings: Settings) -> Huey:
    if settings.redis_url:
        return RedisHuey(
            settings.queue_name, url=settings.redis_url, immediate=settings.huey_immediate
        )
    settings.var_dir.mkdir(parents=True, exist_ok=True)
    return SqliteHuey(
        settings.queue_name,
        filename=str(settings.var_dir / "queue.db"),
        immediate=settings.huey_immediate,
    )


class TaskQueue:
    """The declared tasks bound to one Huey instance."""

    def __init__(self, huey: Huey) -> None:
        self.huey = huey
        self._tasks: dict[str, Any] = {}
        self.bind_declared()

    def bind_declared(self) -> None:
        for name, function in _DECLARED.items():
            if name not in self._tasks:
                self.bind(name, function, schedule=_SCHEDULES.get(name))

    def bind(self, name: str, function: TaskFunction, *, schedule: Schedule | None = None) -> None:
        """Bind `function` to this queue as the task `name` (periodic with a `schedule`)."""
        if name in self._tasks:
            raise ValueError(f"task {name!r} is bound twice")
        if schedule is None:
            self._tasks[name] = self.huey.task(name=name)(function)
        else:
            self._tasks[name] = self.huey.periodic_task(schedule, name=name)(function)

    @property
    def names(self) -> list[str]:
        return sorted(self._tasks)

    def enqueue(self, name: str, *args: Any, **kwargs: Any) -> Any:
        """Queue a task; returns Huey's result handle (`.get(blocking=True)`)."""
        try:
            task = self._tasks[name]
        except KeyError:
            raise LookupError(f"no background task named {name!r}") from None
        return task(*args, **kwargs)

    def schedule(self, name: str, *args: Any, delay: float) -> Any:
        """Queue a task to run in `delay` seconds (a retry with backoff)."""
        try:
            task = self._tasks[name]
        except KeyError:
            raise LookupError(f"no background task named {name!r}") from None
        return task.schedule(args=args, delay=delay)

    def consumer(self, *, workers: int = 2) -> Any:
        return self.huey.create_consumer(workers=workers, worker_type="thread", periodic=True)
