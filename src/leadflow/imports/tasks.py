"""The import job: the file read in chunks, each committed with its cursor."""

from __future__ import annotations

import gc
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from leadflow.imports.services import (
    RUN_JOB,
    chunks,
    count_rows,
    finish_import,
    get_import,
    run_chunk,
)
from leadflow.jobs.kinds import job_kind
from leadflow.jobs.runner import JobContext
from leadflow.users.domain import Permission


@contextmanager
def _collector_paused() -> Iterator[None]:
    """A chunk allocates many short-lived objects and no cycles worth chasing: the
    cyclic collector would run dozens of times per chunk (a third of its time)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


@job_kind(RUN_JOB, permission=Permission.IMPORTS_RUN, label="File import")
def run_import_job(context: JobContext, params: Mapping[str, Any]) -> dict[str, Any]:
    """Import the file chunk by chunk; a resumed run continues at the saved cursor."""
    container = context.container
    import_id = int(params["import_id"])
    with container.read_session() as session:
        imp = get_import(session, import_id)
        session.expunge(imp)
    registry = container.registry()
    resume = context.resume_from or {}
    start = int(resume.get("next", 1))
    counts: dict[str, int] = dict(resume.get("counts", {}))
    total = context.total or count_rows(imp)
    done = int(resume.get("done", 0))
    context.progress(done, total)
    for cursor, rows in chunks(imp, registry, start):
        context.raise_if_cancelled()
        with _collector_paused(), container.uow() as uow:
            _, counts = run_chunk(import_id, rows, uow=uow, counts=counts)
            done += len(rows)
            context.checkpoint(
                {"next": cursor, "counts": counts, "done": done}, done=done, total=total, uow=uow
            )
            uow.commit()
    with container.uow() as uow:
        finish_import(import_id, counts, uow=uow)
        uow.commit()
    return {"import_id": import_id, **counts}
