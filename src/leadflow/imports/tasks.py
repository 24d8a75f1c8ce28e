"""The import job: the file read in chunks, each committed with its cursor."""

from __future__ import annotations

import gc
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from leadflow.imports._undo import PHASES, new_report, undo_page
from leadflow.imports.domain import RUN_CHUNK_ROWS
from leadflow.imports.services import (
    DRY_RUN_JOB,
    RUN_JOB,
    UNDO_JOB,
    change_count,
    chunks,
    count_rows,
    dry_run,
    finish_import,
    finish_undo,
    get_import,
    run_chunk,
    store_dry_run,
)
from leadflow.jobs.kinds import job_kind
from leadflow.jobs.runner import JobContext
from leadflow.users.domain import Permission

# Chunks run between two collections of the young generations (see run_import_job).
_CHUNKS_PER_COLLECTION = 4


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
    # The collector stays paused while the file is read too (a row object and four
    # containers per row: it ran there instead, 6% of an import's time). What the
    # chunks left behind is collected every few chunks, the young generations only
    # (what they allocated), so memory stays flat: a collection costs about the
    # same after one chunk as after four (5% of an import's time after each).
    with _collector_paused():
        for number, (cursor, rows) in enumerate(
            chunks(imp, registry, start, RUN_CHUNK_ROWS), start=1
        ):
            context.raise_if_cancelled()
            with container.uow() as uow:
                _, counts = run_chunk(import_id, rows, uow=uow, counts=counts)
                done += len(rows)
                context.checkpoint(
                    {"next": cursor, "counts": counts, "done": done},
                    done=done,
                    total=total,
                    uow=uow,
                )
                uow.commit()
            del rows
            if number % _CHUNKS_PER_COLLECTION == 0:
                gc.collect(1)
    with container.uow() as uow:
        finish_import(import_id, counts, uow=uow)
        uow.commit()
    return {"import_id": import_id, **counts}


@job_kind(DRY_RUN_JOB, permission=Permission.IMPORTS_RUN, label="File import dry run")
def run_dry_run_job(context: JobContext, params: Mapping[str, Any]) -> dict[str, Any]:
    """Decide every row of the file without writing; the counts and the first rows'
    outcomes are kept with the import. A resumed run starts over (it wrote nothing)."""
    container = context.container
    import_id = int(params["import_id"])
    with container.read_session() as session:
        imp = get_import(session, import_id)
        session.expunge(imp)
    total = count_rows(imp)
    context.progress(0, total)

    def progress(done: int) -> None:
        context.raise_if_cancelled()
        context.progress(done, total)

    with _collector_paused(), container.read_session() as session:
        result = dry_run(session, container.registry(), import_id, progress=progress)
    with container.uow() as uow:
        store_dry_run(import_id, result, uow=uow)
        uow.commit()
    return {"import_id": import_id, **result["counts"]}


@job_kind(UNDO_JOB, permission=Permission.IMPORTS_RUN, label="Undo a file import")
def run_undo_job(context: JobContext, params: Mapping[str, Any]) -> dict[str, Any]:
    """Undo the import a page of change records at a time, each page committed with
    the cursor, so a killed undo resumes where it stopped."""
    container = context.container
    import_id = int(params["import_id"])
    resume = context.resume_from or params.get("continue") or {}
    report: dict[str, Any] = resume.get("report") or new_report()
    phase = int(resume.get("phase", 0))
    after = int(resume.get("after", 0))
    done = int(resume.get("done", 0))
    with container.read_session() as session:
        total = change_count(session, import_id)
    context.progress(done, total)
    while phase < len(PHASES):
        context.raise_if_cancelled()
        with container.uow() as uow:
            step = undo_page(uow, import_id, phase, after, report)
            if step is None:
                phase, after = phase + 1, 0
                continue
            after = step[0]
            done += step[1]
            context.checkpoint(
                {"phase": phase, "after": after, "done": done, "report": report},
                done=done,
                total=total,
                uow=uow,
            )
            uow.commit()
    with container.uow() as uow:
        finish_undo(import_id, report, uow=uow)
        uow.commit()
    return {
        "import_id": import_id,
        "deleted": report["deleted"],
        "restored": report["restored"],
        "kept": report.get("kept_count", len(report["kept"])),
    }
