"""When the next duplicate check runs: at once on a small database, spaced on a large one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from leadflow.duplicates.domain import GAP_FACTOR, RUNNING_AT_MOST, CheckState, next_check_in

NOW = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)
AGO = NOW - timedelta(seconds=2)


def test_the_first_check_is_due_at_once_and_none_without_a_change() -> None:
    assert next_check_in(CheckState(), NOW) == 0.0
    done = CheckState(started_at=AGO, finished_at=AGO, seconds=0.05)
    assert next_check_in(done, NOW) is None
    assert next_check_in(done, NOW, forced=True) == 0.0


def test_a_due_check_waits_the_pause_or_its_gap_whichever_is_longer() -> None:
    quick = CheckState(started_at=AGO, finished_at=AGO, seconds=0.05, requested_at=NOW)
    assert next_check_in(quick, NOW) == 0.0
    assert next_check_in(quick, NOW, pause=10) == pytest.approx(8)
    assert next_check_in(quick, NOW + timedelta(seconds=9), pause=10) == pytest.approx(0)
    slow = CheckState(started_at=AGO, finished_at=AGO, seconds=4.0, requested_at=NOW)
    assert next_check_in(slow, NOW, pause=10) == pytest.approx(4.0 * GAP_FACTOR - 2)
    assert next_check_in(slow, NOW + timedelta(hours=1), pause=10) == 0.0
    assert next_check_in(slow, NOW, pause=0) == 0.0  # no pause configured: at once
    assert next_check_in(slow, NOW, pause=10, forced=True) == 0.0


def test_a_running_check_is_left_alone_unless_its_worker_died() -> None:
    running = CheckState(started_at=NOW, finished_at=AGO, seconds=0.05, requested_at=NOW)
    assert running.running(NOW)
    assert next_check_in(running, NOW) is None
    assert next_check_in(running, NOW, forced=True) is None
    later = NOW + RUNNING_AT_MOST + timedelta(seconds=1)
    assert not running.running(later)
    assert next_check_in(running, later) == 0.0


def test_stale_means_records_changed_since_or_never_checked() -> None:
    assert CheckState().stale()
    assert not CheckState(started_at=AGO, finished_at=AGO, seconds=1).stale()
    assert CheckState(started_at=AGO, finished_at=AGO, seconds=1, requested_at=NOW).stale()
