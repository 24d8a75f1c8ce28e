"""Background work of duplicates: the check that finds candidate pairs.

A check reads in a read session (the GROUP BYs: seconds at a million records, never
under the write lock) and writes its pairs in a short unit of work. The relay's
handler (`duplicates.wiring`) queues one when records change; a check asks for the
next itself when records changed while it ran, after a pause that grows with its own
duration (`domain.next_check_in`); "Check now" forces one.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from huey import crontab

from leadflow.dependencies import Dependencies
from leadflow.duplicates import services
from leadflow.duplicates.domain import CHECK_TASK, ENTITIES, next_check_in
from leadflow.lib.clock import utcnow

logger = logging.getLogger(__name__)

SWEEP = "duplicates.sweep"


def run_check(
    container: Dependencies,
    entity: str,
    *,
    forced: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> int | None:
    """Check `entity` if a check is due; returns how many pairs it found (None: none ran,
    or it waits its turn and is queued for later)."""
    pause = container.settings.duplicate_check_pause_seconds
    with container.read_session() as session:
        state = services.check_state(session, entity)
    wait = next_check_in(state, utcnow(), pause=pause, forced=forced)
    if wait is None:
        return None
    if wait > 0:
        container.queue.schedule(CHECK_TASK, entity, delay=wait)
        return None
    with container.uow() as uow:
        started_at = services.start_check(entity, uow=uow)
        uow.commit()
    clock = time.perf_counter()
    with container.read_session() as session:
        registry = container.registry_cache.get(session)
        found = services.find_candidates(session, registry, entity, progress=progress)
    seconds = time.perf_counter() - clock
    with container.uow() as uow:
        services.store_check(entity, found, started_at=started_at, seconds=seconds, uow=uow)
        uow.commit()
    logger.info("duplicates: %s checked in %.2f s, %d pairs", entity, seconds, len(found))
    # Records that changed while it ran: the next check, in its turn.
    with container.read_session() as session:
        state = services.check_state(session, entity)
    wait = next_check_in(state, utcnow(), pause=pause)
    if wait is not None:
        container.queue.schedule(CHECK_TASK, entity, delay=wait)
    return len(found)


def bind_tasks(container: Dependencies) -> None:
    def check(entity: str, forced: bool = False) -> int | None:
        if entity not in ENTITIES:
            return None
        return run_check(container, entity, forced=forced)

    def sweep() -> None:
        # A check queued by a worker that died (or scheduled into a queue since
        # emptied) is not queued again by the relay, which sees one waiting.
        for entity in ENTITIES:
            run_check(container, entity)

    container.queue.bind(CHECK_TASK, check)
    container.queue.bind(SWEEP, sweep, schedule=crontab(minute="*/10"))
