"""Running: the file's chunks, the dry run, and the import job's start, chunks and finish."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from leadflow.db.uow import UnitOfWork, in_own_transaction
from leadflow.errors import Conflict, ErrorCode, NotFound
from leadflow.imports._engine import ChunkReport, Engine, Plan
from leadflow.imports._interactions import InteractionEngine
from leadflow.imports.domain import (
    CHUNK_ROWS,
    PREVIEW_ROWS,
    ImportStatus,
    RowReader,
    add_counts,
)
from leadflow.imports.models import Import
from leadflow.imports.reader import count_records, iter_rows
from leadflow.imports.services._mappings import save_mapping
from leadflow.imports.services._records import (
    DRY_RUN_JOB,
    RUN_JOB,
    file_info,
    get_import,
    mapping_of,
    plan_of,
)
from leadflow.imports.services._uploads import create_import, set_mapping
from leadflow.jobs.models import Job
from leadflow.jobs.services import start_job
from leadflow.lib.clock import utcnow
from leadflow.registry.domain import Registry
from leadflow.switches.domain import PHONE_DEFAULT_REGION
from leadflow.switches.services import setting_value


def chunks(
    imp: Import, registry: Registry, start: int = 1, size: int = CHUNK_ROWS
) -> Iterator[tuple[int, list[Any]]]:
    """(records read so far, parsed rows) per chunk, from record index `start`."""
    reader = RowReader.build(registry, imp.entity, imp.headers, mapping_of(imp, registry))
    batch: list[Any] = []
    index = 0
    for index, (line, cells) in enumerate(iter_rows(Path(imp.path), file_info(imp))):
        if index < start:
            continue
        batch.append(reader.read(line, cells))
        if len(batch) >= size:
            yield index + 1, batch
            batch = []
    if batch:
        yield index + 1, batch


def count_rows(imp: Import) -> int:
    return max(0, count_records(Path(imp.path), file_info(imp)) - 1)


def dry_run(
    session: Session,
    registry: Registry,
    import_id: int,
    *,
    progress: Callable[[int], None] | None = None,
) -> dict[str, Any]:
    """What running the import would do, per row, with counts; writes nothing.

    The preview lists the first rows' outcomes; counts cover the whole file.
    `progress` hears the rows read so far after each chunk (the job reports them).
    """
    imp = get_import(session, import_id)
    engine = engine_for(session, registry, plan_of(imp, registry), dry=True)
    counts: dict[str, int] = {}
    preview: list[dict[str, Any]] = []
    done = 0
    for _, rows in chunks(imp, registry):
        report = engine.run(rows)
        counts = add_counts(counts, report.counts())
        for result in report.results:
            if len(preview) >= PREVIEW_ROWS:
                break
            preview.append(
                {
                    "line": result.line,
                    "outcome": result.outcome.value,
                    "record_id": result.record_id or None,
                    "changed": list(result.changed),
                    "column": result.error.column if result.error else None,
                    "code": result.error.code if result.error else None,
                    "message": result.error.message if result.error else None,
                }
            )
        done += len(rows)
        if progress is not None:
            progress(done)
    session.rollback()
    return {"counts": counts, "rows": preview, "mapping": dict(imp.mapping)}


def store_dry_run(import_id: int, result: Mapping[str, Any], *, uow: UnitOfWork) -> None:
    """Keep the dry run's counts and preview with the import, for the mapping it ran
    on (a mapping changed since makes it stale: `current_dry_run` then gives None)."""
    imp = get_import(uow.session, import_id)
    imp.dry_run = {
        "counts": dict(result["counts"]),
        "rows": list(result.get("rows", [])),
        "mapping": dict(result.get("mapping") or imp.mapping),
    }
    uow.session.flush()


do_store_dry_run = in_own_transaction(store_dry_run)


def current_dry_run(imp: Import) -> dict[str, Any] | None:
    """The stored dry run when it was made with the import's current mapping."""
    stored = imp.dry_run
    if not stored or "rows" not in stored or stored.get("mapping") != dict(imp.mapping):
        return None
    return {"counts": dict(stored["counts"]), "rows": list(stored["rows"])}


def _not_yet_run(uow: UnitOfWork, import_id: int, refusal: str) -> Import:
    """The import, locked, when it has not run yet and its mapping holds; `refusal`
    (with `{status}`) says why otherwise."""
    imp = uow.session.get(Import, import_id, with_for_update=True)
    if imp is None:
        raise NotFound(f"No import {import_id}", field="import_id")
    if imp.status != ImportStatus.UPLOADED:
        raise Conflict(
            refusal.format(status=imp.status),
            field="status",
            code=ErrorCode.IMPORT_ALREADY_RUN,
        )
    mapping_of(imp, uow.registry)
    return imp


def _start_job(uow: UnitOfWork, kind: str, imp: Import, requested_by: int | None) -> Job:
    details = {"import_id": imp.id, "entity": imp.entity, "filename": imp.filename}
    return start_job(kind, details, uow=uow, requested_by=requested_by)


def start_dry_run(import_id: int, *, uow: UnitOfWork, requested_by: int | None = None) -> Job:
    """Start a dry run of the import as a job (queued once the unit commits)."""
    imp = _not_yet_run(
        uow, import_id, "A dry run previews an import that has not run (this one is {status})"
    )
    job = _start_job(uow, DRY_RUN_JOB, imp, requested_by)
    imp.dry_run_job_id = job.id
    imp.dry_run = None
    uow.session.flush()
    return job


do_start_dry_run = in_own_transaction(start_dry_run)


def start_import(import_id: int, *, uow: UnitOfWork, requested_by: int | None = None) -> Job:
    """Start the import's job (queued once the unit commits); an import runs once."""
    imp = _not_yet_run(uow, import_id, "The import has already run ({status})")
    job = _start_job(uow, RUN_JOB, imp, requested_by)
    imp.job_id = job.id
    imp.status = ImportStatus.RUNNING.value
    uow.session.flush()
    return job


do_create_import = in_own_transaction(create_import)
do_set_mapping = in_own_transaction(set_mapping)
do_save_mapping = in_own_transaction(save_mapping)
do_start_import = in_own_transaction(start_import)


def unfinished_import(session: Session, entity: str, sha256: str) -> Import | None:
    """The newest import of this very file that is still running (a killed run)."""
    return session.scalar(
        select(Import)
        .where(
            Import.entity == entity,
            Import.sha256 == sha256,
            Import.status == ImportStatus.RUNNING.value,
        )
        .order_by(Import.id.desc())
        .limit(1)
    )


def engine_for(
    session: Session, registry: Registry, plan: Plan, *, dry: bool = False
) -> Engine | InteractionEngine:
    """The chunk engine of the import's entity."""
    if plan.entity == "interaction":
        return InteractionEngine(session, registry, plan, dry=dry)
    region = setting_value(session, PHONE_DEFAULT_REGION.key)
    return Engine(session, registry, plan, dry=dry, default_region=region)


def run_chunk(
    imp_id: int, rows: list[Any], *, uow: UnitOfWork, counts: Mapping[str, int]
) -> tuple[ChunkReport, dict[str, int]]:
    """One chunk matched and written; the caller commits it with its cursor."""
    session = uow.session
    imp = get_import(session, imp_id)
    engine = engine_for(session, uow.registry, plan_of(imp, uow.registry))
    report = engine.run(rows)
    engine.store_events(uow)
    total = add_counts(counts, report.counts())
    session.execute(
        update(Import)
        .where(Import.id == imp_id)
        .values(counts=total)
        .execution_options(synchronize_session=False)
    )
    return report, total


def finish_import(import_id: int, counts: Mapping[str, int], *, uow: UnitOfWork) -> None:
    imp = get_import(uow.session, import_id)
    imp.status = ImportStatus.DONE.value
    imp.counts = dict(counts)
    imp.finished_at = utcnow()
    uow.session.flush()
