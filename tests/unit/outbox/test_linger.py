from __future__ import annotations

from leadflow.outbox import LINGER_MAX_SECONDS, LINGER_MIN_EVENTS, linger


def test_under_load_the_relay_waits_as_long_as_its_last_batch_took() -> None:
    assert linger(claimed=40, batch_size=500, took=0.03) == 0.03


def test_the_pause_is_bounded() -> None:
    assert linger(claimed=40, batch_size=500, took=5.0) == LINGER_MAX_SECONDS


def test_a_full_batch_means_a_backlog_and_the_next_starts_at_once() -> None:
    assert linger(claimed=500, batch_size=500, took=0.5) == 0.0


def test_a_batch_of_a_few_events_is_no_load_and_the_next_starts_at_once() -> None:
    assert linger(claimed=LINGER_MIN_EVENTS - 1, batch_size=500, took=0.05) == 0.0
    assert linger(claimed=LINGER_MIN_EVENTS, batch_size=500, took=0.05) == 0.05
