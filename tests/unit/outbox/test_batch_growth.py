"""The relay thread's batch size follows a backlog it is not catching up with
(`next_limit`)."""

from __future__ import annotations

from leadflow.outbox import BATCH_GROWTH_MAX, BEHIND_SECONDS, next_limit

BEHIND = BEHIND_SECONDS


def test_full_batches_of_events_that_waited_double_the_next_one_up_to_the_cap() -> None:
    sizes = [500]
    for _ in range(6):
        sizes.append(next_limit(sizes[-1], sizes[-1], 500, waited=BEHIND))
    assert sizes == [500, 1000, 2000, 4000, 4000, 4000, 4000]
    assert sizes[-1] == 500 * BATCH_GROWTH_MAX


def test_a_full_batch_of_fresh_events_keeps_the_size() -> None:
    assert next_limit(500, 500, 500, waited=BEHIND / 2) == 500
    assert next_limit(1000, 1000, 500, waited=BEHIND / 2) == 1000


def test_a_batch_less_than_half_full_halves_the_next_one_down_to_the_base() -> None:
    assert next_limit(1999, 4000, 500, waited=BEHIND) == 2000
    assert next_limit(10, 1000, 500, waited=BEHIND) == 500
    assert next_limit(10, 500, 500, waited=BEHIND) == 500


def test_a_batch_at_least_half_full_keeps_the_size() -> None:
    assert next_limit(2000, 4000, 500, waited=BEHIND) == 4000
    assert next_limit(3999, 4000, 500, waited=BEHIND) == 4000
