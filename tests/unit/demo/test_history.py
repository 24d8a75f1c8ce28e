"""The demo's stage history: moves spread between a lead's creation and now."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from leadflow.demo.process import spread_times

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def test_moves_come_hours_to_weeks_apart_in_order_before_now() -> None:
    start = NOW - timedelta(days=80)
    times = spread_times(start, NOW, 4, random.Random(7))
    assert times == sorted(times)
    gaps = [later - earlier for earlier, later in zip([start, *times], times, strict=False)]
    assert all(timedelta(hours=3) <= gap <= timedelta(days=14) for gap in gaps)
    assert times[-1] < NOW


def test_a_lead_created_an_hour_ago_moves_within_that_hour() -> None:
    start = NOW - timedelta(hours=1)
    times = spread_times(start, NOW, 3, random.Random(1))
    assert times == sorted(times)
    assert all(start < at <= NOW - timedelta(minutes=1) for at in times)
