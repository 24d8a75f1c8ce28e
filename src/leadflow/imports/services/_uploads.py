"""Upload and mapping: the stored file, the import row, its options and its column mapping."""

from __future__ import annotations

import hashlib
import re
import shutil
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any

from leadflow.db.uow import UnitOfWork
from leadflow.errors import Conflict, ErrorCode, NotFound, ValidationFailed
from leadflow.imports.domain import (
    ImportStatus,
    guess_mapping,
    mapping_public,
    parse_mapping,
    targets_for,
)
from leadflow.imports.models import Import
from leadflow.imports.reader import sniff
from leadflow.imports.services._mappings import get_saved_mapping
from leadflow.imports.services._records import MAX_UPLOAD_BYTES, checked_entity, get_import
from leadflow.lib.clock import utcnow
from leadflow.registry.domain import Registry


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
    checked_entity(entity)
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
    return targets_for(registry, checked_entity(entity))
