"""A serving process's start-up objects leave the collector's full passes; garbage
made before is freed, not frozen (lib/heap.py)."""

from __future__ import annotations

import gc
import weakref

from leadflow.lib.heap import freeze_startup_objects


class _Node:
    def __init__(self) -> None:
        self.me = self


def test_objects_alive_at_start_up_are_frozen_and_garbage_is_freed_first() -> None:
    garbage = _Node()
    gone = weakref.ref(garbage)
    del garbage
    assert gone() is not None  # a cycle: only a collection frees it
    kept = [_Node() for _ in range(1000)]
    tracked_before = len(gc.get_objects())
    try:
        freeze_startup_objects()

        assert gone() is None
        assert gc.get_freeze_count() >= len(kept)
        assert len(gc.get_objects()) < tracked_before - len(kept)
    finally:
        gc.unfreeze()
