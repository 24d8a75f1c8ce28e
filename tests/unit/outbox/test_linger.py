from __future__ import annotations

from leadflow.outbox import LINGER_MAX_SECONDS, linger


def test_under_load_the_relay_waits_as_long_as_its_last_batch_took() -> None:
    assert linger(claimed=12, batch_size=500, took=0.03) == 0.03


def test_the_pause_is_bounded() -> None:
    assert linger(claimed=12, batch_size=500, took=5.0) == LINGER_MAX_SECONDS


def test_a_full_batch_means_a_backlog_and_the_next_starts_at_once() -> None:
    assert linger(claimed=500, batch_size=500, took=0.5) == 0.0
