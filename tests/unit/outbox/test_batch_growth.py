"""The relay thread's batch size follows the backlog (`next_limit`)."""

from __future__ import annotations

from leadflow.outbox import BATCH_GROWTH_MAX, next_limit


def test_a_full_batch_doubles_the_next_one_up_to_the_cap() -> None:
    sizes = [500]
    for _ in range(6):
        sizes.append(next_limit(claimed=sizes[-1], limit=sizes[-1], base=500))
    assert sizes == [500, 1000, 2000, 4000, 4000, 4000, 4000]
    assert sizes[-1] == 500 * BATCH_GROWTH_MAX


def test_a_batch_less_than_half_full_halves_the_next_one_down_to_the_base() -> None:
    assert next_limit(claimed=1999, limit=4000, base=500) == 2000
    assert next_limit(claimed=10, limit=1000, base=500) == 500
    assert next_limit(claimed=10, limit=500, base=500) == 500


def test_a_batch_at_least_half_full_keeps_the_size() -> None:
    assert next_limit(claimed=2000, limit=4000, base=500) == 4000
    assert next_limit(claimed=3999, limit=4000, base=500) == 4000
