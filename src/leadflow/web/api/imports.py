"""Imports API: upload a file, map its columns, dry-run, run, follow, download errors, undo."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import StreamingResponse

from leadflow.errors import NotFound
from leadflow.imports import services
from leadflow.imports.schemas import (
    DryRunOut,
    ImportList,
    ImportOut,
    MappingIn,
    SavedMappingIn,
    SavedMappingOut,
)
from leadflow.jobs.schemas import JobOut
from leadflow.jobs.services import job_public
from leadflow.users.domain import Permission as P
from leadflow.users.services import Principal
from leadflow.web.auth import Authorize, container_of
from leadflow.web.downloads import import_errors_csv
from leadflow.web.openapi import problems


def _mapping_body(body: MappingIn) -> dict[str, Any]:
    return {
        column: target if isinstance(target, str) else target.model_dump()
        for column, target in body.mapping.items()
    }


router = APIRouter(prefix="/api/v1/imports", tags=["imports"])
can_import = Authorize(P.IMPORTS_RUN)


@router.post(
    "",
    status_code=201,
    response_model=ImportOut,
    summary="Upload a CSV or XLSX file; its mapping is guessed from the headers",
)
def upload(
    request: Request,
    entity: str = Form(description="contact, account or lead"),
    file: UploadFile = File(description="CSV (any delimiter, encoding) or XLSX"),
    mapping_name: str | None = Form(None, description="A saved mapping to apply"),
    principal: Principal = Depends(can_import),
) -> dict[str, Any]:
    container = container_of(request)
    with container.uow() as uow:
        imp = services.do_create_import(
            entity,
            file.filename or "upload",
            file.file,
            uow=uow,
            storage=container.settings.var_dir / "imports",
            mapping_name=mapping_name or None,
            created_by=principal.user_id,
        )
        return services.import_public(uow.session, imp)


@router.get("", response_model=ImportList, summary="The latest imports")
def list_imports(request: Request, principal: Principal = Depends(can_import)) -> dict[str, Any]:
    with container_of(request).read_session() as session:
        rows = services.list_imports(session)
        return {"items": [services.import_public(session, imp) for imp in rows]}


@router.get("/mappings", response_model=list[SavedMappingOut], summary="Saved mappings")
def saved(
    request: Request, entity: str | None = None, principal: Principal = Depends(can_import)
) -> list[dict[str, Any]]:
    with container_of(request).read_session() as session:
        return [
            {"id": m.id, "name": m.name, "entity": m.entity, "mapping": m.mapping}
            for m in services.list_saved_mappings(session, entity)
        ]


@router.put(
    "/mappings",
    response_model=SavedMappingOut,
    summary="Save a mapping under a name (replaces one of that name)",
)
def save(
    request: Request, body: SavedMappingIn, principal: Principal = Depends(can_import)
) -> dict[str, Any]:
    container = container_of(request)
    raw = _mapping_body(MappingIn(mapping=body.mapping))
    with container.uow() as uow:
        saved = services.do_save_mapping(body.name, body.entity, raw, uow=uow)
        return {
            "id": saved.id,
            "name": saved.name,
            "entity": saved.entity,
            "mapping": saved.mapping,
        }


@router.get("/{import_id}", response_model=ImportOut, summary="An import: status, counts")
def read(
    request: Request, import_id: int, principal: Principal = Depends(can_import)
) -> dict[str, Any]:
    with container_of(request).read_session() as session:
        return services.import_public(session, services.get_import(session, import_id))


@router.put(
    "/{import_id}/mapping",
    response_model=ImportOut,
    summary="Set the column mapping (and options) before the import runs",
    responses=problems(409, notes={409: "The import has started"}),
)
def map_columns(
    request: Request,
    import_id: int,
    body: MappingIn,
    principal: Principal = Depends(can_import),
) -> dict[str, Any]:
    container = container_of(request)
    options = body.options.model_dump() if body.options is not None else None
    with container.uow() as uow:
        imp = services.do_set_mapping(import_id, _mapping_body(body), options=options, uow=uow)
        return services.import_public(uow.session, imp)


@router.post(
    "/{import_id}/dry-run",
    status_code=202,
    response_model=JobOut,
    summary="Start a dry run (a job): what the import would do per row, writing nothing",
    description=(
        "Follow the job at /api/v1/jobs/{id}; once it succeeded, "
        "GET /api/v1/imports/{import_id}/dry-run gives the counts and the first 200 rows."
    ),
    responses=problems(409, notes={409: "The import has already run"}),
)
def dry_run(
    request: Request, import_id: int, principal: Principal = Depends(can_import)
) -> dict[str, Any]:
    container = container_of(request)
    with container.uow() as uow:
        job = services.do_start_dry_run(import_id, uow=uow, requested_by=principal.user_id)
        return job_public(job)


@router.get(
    "/{import_id}/dry-run",
    response_model=DryRunOut,
    summary="The latest dry run of the import's current mapping: counts and first rows",
    responses=problems(404, notes={404: "No dry run of the current mapping has finished"}),
)
def dry_run_result(
    request: Request, import_id: int, principal: Principal = Depends(can_import)
) -> dict[str, Any]:
    with container_of(request).read_session() as session:
        found = services.current_dry_run(services.get_import(session, import_id))
    if found is None:
        raise NotFound("No dry run of the import's current mapping has finished", field="dry_run")
    return found


@router.post(
    "/{import_id}/run",
    status_code=202,
    response_model=JobOut,
    summary="Start the import (a job: follow it at /api/v1/jobs/{id} or here)",
    responses=problems(409, notes={409: "The import has already run"}),
)
def run(
    request: Request, import_id: int, principal: Principal = Depends(can_import)
) -> dict[str, Any]:
    container = container_of(request)
    with container.uow() as uow:
        job = services.do_start_import(import_id, uow=uow, requested_by=principal.user_id)
        return job_public(job)


@router.get(
    "/{import_id}/errors",
    summary="The error file: line, column, code, message and the original row (CSV)",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {}}}},
)
def errors(
    request: Request, import_id: int, principal: Principal = Depends(can_import)
) -> StreamingResponse:
    return import_errors_csv(container_of(request), import_id)


@router.post(
    "/{import_id}/undo",
    status_code=202,
    response_model=JobOut,
    summary="Undo the import (a job): created records removed, changed fields restored",
    description="Follow the job at /api/v1/jobs/{id}; the report lands in the import.",
    responses=problems(409, notes={409: "Only an import that has ended can be undone"}),
)
def undo(
    request: Request, import_id: int, principal: Principal = Depends(can_import)
) -> dict[str, Any]:
    container = container_of(request)
    with container.uow() as uow:
        job = services.do_start_undo(import_id, uow=uow, requested_by=principal.user_id)
        return job_public(job)


def routers() -> list[APIRouter]:
    return [router]
