"""`TaskQueue.bind`: a task bound by a concept's wiring runs with what the wiring handed it."""

from __future__ import annotations

import pytest
from huey import MemoryHuey

from leadflow.queue import TaskQueue


def test_a_bound_task_runs_with_what_its_binder_handed_it() -> None:
    queue = TaskQueue(MemoryHuey("bind-test", immediate=True))
    handed = {"factor": 3}

    def multiply(value: int) -> int:
        return value * handed["factor"]

    queue.bind("test.multiply", multiply)

    assert "test.multiply" in queue.names
    assert queue.enqueue("test.multiply", 7).get() == 21


def test_binding_a_name_twice_is_refused() -> None:
    queue = TaskQueue(MemoryHuey("bind-twice-test", immediate=True))

    def first() -> str:
        return "first"

    def second() -> str:
        return "second"

    queue.bind("test.once", first)

    with pytest.raises(ValueError, match="bound twice"):
        queue.bind("test.once", second)
    assert queue.enqueue("test.once").get() == "first"
