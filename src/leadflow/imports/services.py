"""Import use cases: upload a file, map it, dry-run it, run it as a job, undo it.

How an import stays exactly-once: the job reads the file in chunks; each chunk's
records, change records, error records, events, counts AND the job's cursor
commit in one transaction. A worker killed at any moment leaves either the
whole chunk with its cursor or neither, and the resumed run starts at the cursor.
Re-importing the same file matches every row to the record it wrote and
changes nothing.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import uuid
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import IO, Any

from sqlalchemy import delete, exists, func, select, update
from sqlalchemy.orm import Session

from leadflow.db.uow import UnitOfWork, in_own_transaction
from leadflow.errors import Conflict, ErrorCode, NotFound, ValidationFailed
from leadflow.imports._engine import ChunkReport, Engine, Plan
from leadflow.imports._interactions import InteractionEngine
from leadflow.imports.domain import (
    CHUNK_ROWS,
    ENTITIES,
    PREVIEW_ROWS,
    ImportStatus,
    Mapping_,
    Outcome,
    RowReader,
    add_counts,
    guess_mapping,
    mapping_public,
    parse_mapping,
    targets_for,
)
from leadflow.imports.models import Import, ImportChange, ImportMapping, ImportRowError
from leadflow.imports.reader import FileInfo, iter_rows, sniff
from leadflow.jobs.models import Job
from leadflow.jobs.services import start_job
from leadflow.lib.clock import utcnow
from leadflow.registry.domain import Registry
from leadflow.switches.domain import PHONE_DEFAULT_REGION
from leadflow.switches.services import setting_value

RUN_JOB = "imports.run"
DRY_RUN_JOB = "imports.dry_run"
UNDO_JOB = "imports.undo"
MAX_UPLOAD_BYTES = 2 * 1024**3


# --- reading ------------------------------------------------------------------------------


def get_import(session: Session, import_id: int) -> Import:
    found = session.get(Import, import_id)
    if found is None:
        raise NotFound(f"No import {import_id}", field="import_id")
    return found


def list_imports(session: Session, limit: int = 50) -> list[Import]:
    return list(session.scalars(select(Import).order_by(Import.id.desc()).limit(limit)))


def file_info(imp: Import) -> FileInfo:
    return FileInfo(imp.format, imp.encoding, imp.delimiter, list(imp.headers))


def mapping_of(imp: Import, registry: Registry) -> Mapping_:
    return parse_mapping(imp.mapping, registry, imp.entity)


def plan_of(imp: Import, registry: Registry) -> Plan:
    options = imp.options or {}
    return Plan(
        import_id=imp.id,
        entity=imp.entity,
        mapping=mapping_of(imp, registry),
        create_contacts=bool(options.get("create_contacts", True)),
        contact_strategy_id=options.get("contact_strategy_id"),
        lead_strategy_id=options.get("lead_strategy_id"),
    )


def status_of(imp: Import, job: Job | None) -> str:
    """The import's status; a running import whose job ended badly shows how."""
    if imp.status == ImportStatus.UNDOING:
        return imp.status
    if (
        imp.status == ImportStatus.RUNNING
        and job is not None
        and job.status
        in (
            "failed",
            "cancelled",
        )
    ):
        return job.status
    return imp.status


def job_progress(session: Session, job_id: int | None) -> dict[str, Any] | None:
    """A job's id, status and progress for the import's page and answers."""
    job = session.get(Job, job_id) if job_id else None
    if job is None:
        return None
    return {
        "id": job.id,
        "status": job.status,
        "done": job.done,
        "total": job.total,
        "error": job.error,
    }


def import_public(session: Session, imp: Import) -> dict[str, Any]:
    job = session.get(Job, imp.job_id) if imp.job_id else None
    return {
        "id": imp.id,
        "entity": imp.entity,
        "filename": imp.filename,
        "format": imp.format,
        "encoding": imp.encoding,
        "delimiter": imp.delimiter,
        "size": imp.size,
        "headers": list(imp.headers),
        "mapping": dict(imp.mapping or {}),
        "options": dict(imp.options or {}),
        "status": status_of(imp, job),
        "counts": dict(imp.counts or {}),
        "dry_run": imp.dry_run,
        "undo_report": imp.undo_report,
        "job_id": imp.job_id,
        "dry_run_job": job_progress(session, imp.dry_run_job_id),
        "undo_job": job_progress(session, imp.undo_job_id),
        "done": job.done if job is not None else 0,
        "total": job.total if job is not None else 0,
        "error": job.error if job is not None else None,
        "created_at": imp.created_at.isoformat(),
        "finished_at": imp.finished_at.isoformat() if imp.finished_at else None,
        "undone_at": imp.undone_at.isoformat() if imp.undone_at else None,
    }


# --- upload and mapping --------------------------------------------------------------------


def _checked_entity(entity: str) -> str:
    if entity not in ENTITIES:
        raise ValidationFailed(
            f"Import contacts, accounts, leads or interactions, not {entity!r}",
            field="entity",
            code=ErrorCode.NOT_A_CHOICE,
        )
    return entity


def _safe_name(filename: str) -> str:
    base = Path(filename or "upload").name
    return re.sub(r"[^A-Za-z0-9._-]+", "_", base)[:200] or "upload"


def store_upload(source: IO[bytes], storage: Path) -> tuple[Path, str, int]:
    """Copy the upload to storage in pieces; returns (path, sha256, size)."""
    storage.mkdir(parents=True, exist_ok=True)
    target = storage / f"upload-{uuid.uuid4().hex}"
    digest = hashlib.sha256()
    size = 0
    with target.open("wb") as out:
        while piece := source.read(1024 * 1024):
            size += len(piece)
            if size > MAX_UPLOAD_BYTES:
                out.close()
                target.unlink(missing_ok=True)
                raise ValidationFailed(
                    "The file is larger than 2 GiB", field="file", code=ErrorCode.FILE_TOO_LARGE
                )
            digest.update(piece)
            out.write(piece)
    return target, digest.hexdigest(), size


def create_import(
    entity: str,
    filename: str,
    source: IO[bytes],
    *,
    uow: UnitOfWork,
    storage: Path,
    mapping: Mapping[str, Any] | None = None,
    mapping_name: str | None = None,
    options: Mapping[str, Any] | None = None,
    created_by: int | None = None,
) -> Import:
    """Store an uploaded file, read its headers and guess (or take) its mapping."""
    _checked_entity(entity)
    path, sha256, size = store_upload(source, storage)
    try:
        return _create_import(
            entity, filename, path, sha256, size, uow, storage, mapping, mapping_name, options,
            created_by,
        )  # fmt: skip
    except BaseException:
        path.unlink(missing_ok=True)
        raise


def _create_import(
    entity: str,
    filename: str,
    path: Path,
    sha256: str,
    size: int,
    uow: UnitOfWork,
    storage: Path,
    mapping: Mapping[str, Any] | None,
    mapping_name: str | None,
    options: Mapping[str, Any] | None,
    created_by: int | None,
) -> Import:
    info = sniff(path)
    registry = uow.registry
    if mapping is not None:
        chosen = parse_mapping(mapping, registry, entity, info.headers)
    elif mapping_name:
        try:
            saved = get_saved_mapping(uow.session, entity, mapping_name)
        except NotFound as error:
            raise ValidationFailed(
                error.message, field="mapping_name", code=ErrorCode.REFERENCE_UNKNOWN
            ) from None
        chosen = parse_mapping(
            {k: v for k, v in saved.mapping.items() if k in info.headers}, registry, entity
        )
    else:
        chosen = guess_mapping(info.headers, registry, entity)
    imp = Import(
        entity=entity,
        filename=Path(filename or "upload").name[:300],
        path=str(path),
        sha256=sha256,
        size=size,
        format=info.format,
        encoding=info.encoding,
        delimiter=info.delimiter,
        headers=info.headers,
        mapping=mapping_public(chosen),
        options=_checked_options(options or {}),
        status=ImportStatus.UPLOADED.value,
        counts={},
        created_by=created_by,
        created_at=utcnow(),
    )
    uow.session.add(imp)
    uow.session.flush()
    final = storage / str(imp.id) / _safe_name(filename)
    final.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(str(path), final)
    imp.path = str(final)
    uow.session.flush()
    return imp


def _checked_options(options: Mapping[str, Any]) -> dict[str, Any]:
    checked: dict[str, Any] = {"create_contacts": bool(options.get("create_contacts", True))}
    for name in ("contact_strategy_id", "lead_strategy_id"):
        value = options.get(name)
        if value in (None, ""):
            continue
        try:
            checked[name] = int(value)
        except (TypeError, ValueError):
            raise ValidationFailed(
                f"{name} is a strategy id", field=name, code=ErrorCode.NOT_A_WHOLE_NUMBER
            ) from None
    return checked


def set_mapping(
    import_id: int,
    mapping: Mapping[str, Any],
    *,
    uow: UnitOfWork,
    options: Mapping[str, Any] | None = None,
) -> Import:
    """Change the mapping (and options) of an import that has not run yet."""
    imp = get_import(uow.session, import_id)
    if imp.status != ImportStatus.UPLOADED:
        raise Conflict(
            "The import has started; its mapping is fixed",
            field="mapping",
            code=ErrorCode.CANNOT_CHANGE,
        )
    chosen = parse_mapping(mapping, uow.registry, imp.entity, imp.headers)
    imp.mapping = mapping_public(chosen)
    if options is not None:
        imp.options = _checked_options(options)
    imp.dry_run = None
    uow.session.flush()
    return imp


def mapping_choices(registry: Registry, entity: str) -> dict[str, str]:
    """Every field a column may be mapped to: name -> label."""
    return targets_for(registry, _checked_entity(entity))


# --- saved mappings ------------------------------------------------------------------------


def get_saved_mapping(session: Session, entity: str, name: str) -> ImportMapping:
    found = session.scalar(
        select(ImportMapping).where(ImportMapping.entity == entity, ImportMapping.name == name)
    )
    if found is None:
        raise NotFound(f"No saved {entity} mapping named {name!r}", field="mapping_name")
    return found


def list_saved_mappings(session: Session, entity: str | None = None) -> list[ImportMapping]:
    query = select(ImportMapping).order_by(ImportMapping.entity, ImportMapping.name)
    if entity:
        query = query.where(ImportMapping.entity == entity)
    return list(session.scalars(query))


def save_mapping(
    name: str, entity: str, mapping: Mapping[str, Any], *, uow: UnitOfWork
) -> ImportMapping:
    """Save (or replace) a mapping under a name, for files of the same shape."""
    name = (name or "").strip()
    if not name:
        raise ValidationFailed("Give the mapping a name", code=ErrorCode.REQUIRED, field="name")
    checked = mapping_public(parse_mapping(mapping, uow.registry, _checked_entity(entity)))
    found = uow.session.scalar(
        select(ImportMapping).where(ImportMapping.entity == entity, ImportMapping.name == name)
    )
    now = utcnow()
    if found is None:
        found = ImportMapping(
            name=name[:200], entity=entity, mapping=checked, created_at=now, updated_at=now
        )
        uow.session.add(found)
    else:
        found.mapping = checked
        found.updated_at = now
    uow.session.flush()
    return found


# --- running -------------------------------------------------------------------------------


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
    return max(0, sum(1 for _ in iter_rows(Path(imp.path), file_info(imp))) - 1)


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


def start_dry_run(import_id: int, *, uow: UnitOfWork, requested_by: int | None = None) -> Job:
    """Start a dry run of the import as a job (queued once the unit commits)."""
    imp = uow.session.get(Import, import_id, with_for_update=True)
    if imp is None:
        raise NotFound(f"No import {import_id}", field="import_id")
    if imp.status != ImportStatus.UPLOADED:
        raise Conflict(
            f"A dry run previews an import that has not run (this one is {imp.status})",
            field="status",
            code=ErrorCode.IMPORT_ALREADY_RUN,
        )
    mapping_of(imp, uow.registry)
    job = start_job(
        DRY_RUN_JOB,
        {"import_id": imp.id, "entity": imp.entity, "filename": imp.filename},
        uow=uow,
        requested_by=requested_by,
    )
    imp.dry_run_job_id = job.id
    imp.dry_run = None
    uow.session.flush()
    return job


do_start_dry_run = in_own_transaction(start_dry_run)


def start_import(import_id: int, *, uow: UnitOfWork, requested_by: int | None = None) -> Job:
    """Start the import's job (queued once the unit commits); an import runs once."""
    imp = uow.session.get(Import, import_id, with_for_update=True)
    if imp is None:
        raise NotFound(f"No import {import_id}", field="import_id")
    if imp.status != ImportStatus.UPLOADED:
        raise Conflict(
            f"The import has already run ({imp.status})",
            field="status",
            code=ErrorCode.IMPORT_ALREADY_RUN,
        )
    mapping_of(imp, uow.registry)
    job = start_job(
        RUN_JOB,
        {"import_id": imp.id, "entity": imp.entity, "filename": imp.filename},
        uow=uow,
        requested_by=requested_by,
    )
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


# --- errors --------------------------------------------------------------------------------


def error_file_rows(session: Session, import_id: int) -> Iterator[list[str]]:
    """The error file: a header, then per problem line, column, code, message and the
    original row's cells."""
    imp = get_import(session, import_id)
    yield ["line", "column", "code", "message", *imp.headers]
    query = (
        select(ImportRowError)
        .where(ImportRowError.import_id == import_id)
        .order_by(ImportRowError.line, ImportRowError.id)
        .execution_options(yield_per=1000)
    )
    for error in session.scalars(query):
        cells = [str(cell) for cell in (error.row or [])]
        yield [str(error.line), error.column or "", error.code, error.message, *cells]


def error_count(session: Session, import_id: int) -> int:
    return int(
        session.scalar(
            select(func.count())
            .select_from(ImportRowError)
            .where(ImportRowError.import_id == import_id)
        )
        or 0
    )


# --- undo ----------------------------------------------------------------------------------


def undo_import(import_id: int, *, uow: UnitOfWork) -> dict[str, Any]:
    """Remove what the import created and restore what it changed, where nobody has
    changed it since (those fields are reported and left alone)."""
    from leadflow.imports._undo import undo_changes

    session = uow.session
    imp = session.get(Import, import_id, with_for_update=True)
    if imp is None:
        raise NotFound(f"No import {import_id}", field="import_id")
    job = session.get(Job, imp.job_id) if imp.job_id else None
    status = status_of(imp, job)
    if status not in (ImportStatus.DONE, ImportStatus.FAILED, ImportStatus.CANCELLED):
        raise Conflict(
            f"Only an import that has ended can be undone (this one is {status})",
            field="status",
            code=ErrorCode.IMPORT_NOT_ENDED,
        )
    report = undo_changes(uow, import_id)
    imp.status = ImportStatus.UNDONE.value
    imp.undone_at = utcnow()
    imp.undo_report = report
    session.flush()
    return report


do_undo_import = in_own_transaction(undo_import)


def start_undo(import_id: int, *, uow: UnitOfWork, requested_by: int | None = None) -> Job:
    """Start undoing an ended import as a job; an undo that failed or was cancelled
    may be started again (it picks up what is left)."""
    session = uow.session
    imp = session.get(Import, import_id, with_for_update=True)
    if imp is None:
        raise NotFound(f"No import {import_id}", field="import_id")
    status = status_of(imp, session.get(Job, imp.job_id) if imp.job_id else None)
    undo_job = session.get(Job, imp.undo_job_id) if imp.undo_job_id else None
    again = (
        status == ImportStatus.UNDOING
        and undo_job is not None
        and undo_job.status in ("failed", "cancelled")
    )
    if not again and status not in (
        ImportStatus.DONE,
        ImportStatus.FAILED,
        ImportStatus.CANCELLED,
    ):
        raise Conflict(
            f"Only an import that has ended can be undone (this one is {status})",
            field="status",
            code=ErrorCode.IMPORT_NOT_ENDED,
        )
    params: dict[str, Any] = {"import_id": imp.id, "entity": imp.entity, "filename": imp.filename}
    if again and undo_job is not None and undo_job.checkpoint:
        # The stopped undo's cursor and report: the new job carries on from there.
        params["continue"] = undo_job.checkpoint
    job = start_job(UNDO_JOB, params, uow=uow, requested_by=requested_by)
    imp.status = ImportStatus.UNDOING.value
    imp.undo_job_id = job.id
    session.flush()
    return job


do_start_undo = in_own_transaction(start_undo)


def change_count(session: Session, import_id: int) -> int:
    return int(
        session.scalar(
            select(func.count())
            .select_from(ImportChange)
            .where(ImportChange.import_id == import_id)
        )
        or 0
    )


def finish_undo(import_id: int, report: Mapping[str, Any], *, uow: UnitOfWork) -> None:
    imp = get_import(uow.session, import_id)
    imp.status = ImportStatus.UNDONE.value
    imp.undone_at = utcnow()
    imp.undo_report = dict(report)
    uow.session.flush()


def has_changes(session: Session, import_id: int) -> bool:
    return bool(session.scalar(select(exists().where(ImportChange.import_id == import_id))))


def delete_import_records(session: Session, import_id: int) -> None:
    """Forget an import's change and error records (tests, retention)."""
    session.execute(delete(ImportChange).where(ImportChange.import_id == import_id))
    session.execute(delete(ImportRowError).where(ImportRowError.import_id == import_id))


OUTCOMES = [item.value for item in Outcome]
