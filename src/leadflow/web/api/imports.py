"""Imports API: upload a file, map its columns, dry-run, run, follow, download errors, undo."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, File, Form, UploadFile
from fastapi.responses import StreamingResponse

from leadflow.db.uow import UnitOfWork
from leadflow.errors import NotFound
from leadflow.imports import services
from leadflow.imports.models import Import
from leadflow.imports.schemas import (
    DryRunOut,
    ImportList,
    ImportOut,
    MappingIn,
    SavedMappingIn,
    SavedMappingOut,
)
from leadflow.jobs.models import Job
from leadflow.jobs.schemas import JobOut
from leadflow.jobs.services import job_public
from leadflow.users.domain import Permission as P
from leadflow.web.calls import ApiCall, api_call
from leadflow.web.downloads import import_errors_csv
from leadflow.web.openapi import problems


def _mapping_body(body: MappingIn) -> dict[str, Any]:
    return {
        column: target if isinstance(target, str) else target.model_dump()
        for column, target in body.mapping.items()
    }


router = APIRouter(prefix="/api/v1/imports", tags=["imports"])
importing = api_call(P.IMPORTS_RUN)


def _import_public(imp: Import, uow: UnitOfWork) -> dict[str, Any]:
    return services.import_public(uow.session, imp)


def _job_public(job: Job, _: UnitOfWork) -> dict[str, Any]:
    return job_public(job)


@router.post(
    "",
    status_code=201,
    response_model=ImportOut,
    summary="Upload a CSV or XLSX file; its mapping is guessed from the headers",
)
def upload(
    entity: str = Form(description="contact, account or lead"),
    file: UploadFile = File(description="CSV (any delimiter, encoding) or XLSX"),
    mapping_name: str | None = Form(None, description="A saved mapping to apply"),
    call: ApiCall = importing,
) -> dict[str, Any]:
    return call.run(
        lambda uow: services.do_create_import(
            entity,
            file.filename or "upload",
            file.file,
            uow=uow,
            storage=call.container.settings.var_dir / "imports",
            mapping_name=mapping_name or None,
            created_by=call.user_id,
        ),
        _import_public,
    )


@router.get("", response_model=ImportList, summary="The latest imports")
def list_imports(call: ApiCall = importing) -> dict[str, Any]:
    return call.read(
        lambda session: {
            "items": [services.import_public(session, i) for i in services.list_imports(session)]
        }
    )


@router.get("/mappings", response_model=list[SavedMappingOut], summary="Saved mappings")
def saved(entity: str | None = None, call: ApiCall = importing) -> list[dict[str, Any]]:
    return call.read(
        lambda session: [
            {"id": m.id, "name": m.name, "entity": m.entity, "mapping": m.mapping}
            for m in services.list_saved_mappings(session, entity)
        ]
    )


@router.put(
    "/mappings",
    response_model=SavedMappingOut,
    summary="Save a mapping under a name (replaces one of that name)",
)
def save(body: SavedMappingIn, call: ApiCall = importing) -> dict[str, Any]:
    raw = _mapping_body(MappingIn(mapping=body.mapping))
    return call.run(
        lambda uow: services.do_save_mapping(body.name, body.entity, raw, uow=uow),
        lambda saved, _: {
            "id": saved.id,
            "name": saved.name,
            "entity": saved.entity,
            "mapping": saved.mapping,
        },
    )


@router.get("/{import_id}", response_model=ImportOut, summary="An import: status, counts")
def read(import_id: int, call: ApiCall = importing) -> dict[str, Any]:
    return call.read(
        lambda session: services.import_public(session, services.get_import(session, import_id))
    )


@router.put(
    "/{import_id}/mapping",
    response_model=ImportOut,
    summary="Set the column mapping (and options) before the import runs",
    responses=problems(409, notes={409: "The import has started"}),
)
def map_columns(import_id: int, body: MappingIn, call: ApiCall = importing) -> dict[str, Any]:
    options = body.options.model_dump() if body.options is not None else None
    return call.run(
        lambda uow: services.do_set_mapping(
            import_id, _mapping_body(body), options=options, uow=uow
        ),
        _import_public,
    )


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
def dry_run(import_id: int, call: ApiCall = importing) -> dict[str, Any]:
    return call.run(
        lambda uow: services.do_start_dry_run(import_id, uow=uow, requested_by=call.user_id),
        _job_public,
    )


@router.get(
    "/{import_id}/dry-run",
    response_model=DryRunOut,
    summary="The latest dry run of the import's current mapping: counts and first rows",
    responses=problems(404, notes={404: "No dry run of the current mapping has finished"}),
)
def dry_run_result(import_id: int, call: ApiCall = importing) -> dict[str, Any]:
    found = call.read(
        lambda session: services.current_dry_run(services.get_import(session, import_id))
    )
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
def run(import_id: int, call: ApiCall = importing) -> dict[str, Any]:
    return call.run(
        lambda uow: services.do_start_import(import_id, uow=uow, requested_by=call.user_id),
        _job_public,
    )


@router.get(
    "/{import_id}/errors",
    summary="The error file: line, column, code, message and the original row (CSV)",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {}}}},
)
def errors(import_id: int, call: ApiCall = importing) -> StreamingResponse:
    return import_errors_csv(call.container, import_id)


@router.post(
    "/{import_id}/undo",
    status_code=202,
    response_model=JobOut,
    summary="Undo the import (a job): created records removed, changed fields restored",
    description="Follow the job at /api/v1/jobs/{id}; the report lands in the import.",
    responses=problems(409, notes={409: "Only an import that has ended can be undone"}),
)
def undo(import_id: int, call: ApiCall = importing) -> dict[str, Any]:
    return call.run(
        lambda uow: services.do_start_undo(import_id, uow=uow, requested_by=call.user_id),
        _job_public,
    )


def routers() -> list[APIRouter]:
    return [router]
