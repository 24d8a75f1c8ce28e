"""A job kind for tests: `test.steps` counts through steps, one transaction each.

Params: `steps` (how many), `tag` (names the run in `RAN` and `ON_STEP`),
`fail_at` (a step that raises), `bad_result` (return what JSON cannot hold),
`pause` (seconds each step takes, so runners in other processes meet mid-job).
`ON_STEP[tag](step)` runs before each step,
outside any transaction, so a test can look at the row, cancel, or wait there.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import pytest

from leadflow.jobs.kinds import job_kind
from leadflow.jobs.runner import JobContext
from leadflow.users.domain import Permission

STEPS = "test.steps"
RAN: list[tuple[str, int]] = []
ON_STEP: dict[str, Callable[[int], None]] = {}
_lock = threading.Lock()


@job_kind(STEPS, permission=Permission.SCORING_ADMIN, label="Test steps")
def steps(context: JobContext, params: Mapping[str, Any]) -> dict[str, Any]:
    """Count through the steps, checkpointing after each."""
    tag = str(params.get("tag", ""))
    total = int(params["steps"])
    start = int(context.resume_from["next"]) if context.resume_from else 0
    context.progress(start, total)
    for step in range(start, total):
        context.raise_if_cancelled()
        hook = ON_STEP.get(tag)
        if hook is not None:
            hook(step)
        if step == params.get("fail_at"):
            raise RuntimeError(f"step {step} broke")
        time.sleep(float(params.get("pause", 0)))
        with context.container.uow() as uow:
            with _lock:
                RAN.append((tag, step))
            context.checkpoint({"next": step + 1}, done=step + 1, uow=uow)
            uow.commit()
    if params.get("bad_result"):
        return {"steps": {total}}
    return {"steps": total, "resumed_at": start}


def ran(tag: str) -> list[int]:
    """The steps run under `tag`, in order."""
    with _lock:
        return [step for name, step in RAN if name == tag]


@pytest.fixture
def tag() -> Iterator[str]:
    """A name for this test's runs of `test.steps`; its hook goes with the test."""
    name = uuid.uuid4().hex
    yield name
    ON_STEP.pop(name, None)
