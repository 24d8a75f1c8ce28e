"""Import pages: upload a file, map its columns by field label, preview a dry run,
run it with a progress bar, then the counts, the error file and undo."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from starlette.datastructures import FormData, UploadFile

from leadflow.db.uow import UnitOfWork
from leadflow.errors import ErrorCode, LeadflowError, ValidationFailed
from leadflow.imports import services
from leadflow.imports.domain import ENTITIES, WriteMode
from leadflow.users.domain import Permission
from leadflow.users.services import Principal
from leadflow.web.auth import Authorize, container_of
from leadflow.web.calls import PageCall, page_call, see_other
from leadflow.web.downloads import import_errors_csv
from leadflow.web.pages.render import render

ENTITY_LABELS = {
    "contact": "Contacts",
    "account": "Accounts",
    "lead": "Leads",
    "interaction": "Interactions",
}
MODE_LABELS = {
    WriteMode.OVERWRITE.value: "Overwrite",
    WriteMode.FILL.value: "Fill if empty",
    WriteMode.NEVER.value: "Only on new records",
}


def _index(request: Request, *, error: LeadflowError | None = None) -> Response:
    with container_of(request).read_session() as session:
        items = [services.import_public(session, imp) for imp in services.list_imports(session)]
        saved = services.list_saved_mappings(session)
    context = {
        "imports": items,
        "entities": ENTITY_LABELS,
        "saved": saved,
        "error": error,
    }
    return render(
        request, "imports/index.html", context, status=error.http_status if error else 200
    )


def _detail(
    request: Request,
    import_id: int,
    *,
    preview: dict[str, Any] | None = None,
    error: LeadflowError | None = None,
) -> Response:
    container = container_of(request)
    with container.read_session() as session:
        imp = services.get_import(session, import_id)
        public = services.import_public(session, imp)
        errors = services.error_count(session, import_id)
        if preview is None and public["status"] == "uploaded":
            preview = services.current_dry_run(imp)
    registry = container.registry()
    choices = services.mapping_choices(registry, public["entity"])
    context = {
        "imp": public,
        "entity_label": ENTITY_LABELS[public["entity"]],
        "choices": choices,
        "modes": MODE_LABELS,
        "preview": preview,
        "errors": errors,
        "dry_job": public["dry_run_job"],
        "undo_job": public["undo_job"],
        "dry_active": _running(public["dry_run_job"]),
        "undo_active": _running(public["undo_job"]),
        "active": public["status"] == "running"
        or _running(public["dry_run_job"])
        or _running(public["undo_job"]),
        "error": error,
        "label_of": lambda name: choices.get(name, name),
    }
    status = error.http_status if error else 200
    return render(request, "imports/detail.html", context, status=status)


def _running(job: dict[str, Any] | None) -> bool:
    return job is not None and job["status"] in ("queued", "running")


def _mapping_from(form: FormData, headers: list[str]) -> dict[str, Any]:
    mapping: dict[str, Any] = {}
    for index, header in enumerate(headers):
        target = str(form.get(f"field_{index}") or "")
        if target:
            mode = str(form.get(f"mode_{index}") or WriteMode.OVERWRITE.value)
            mapping[header] = {"field": target, "mode": mode}
    return mapping


router = APIRouter(include_in_schema=False)
can_import = Authorize(Permission.IMPORTS_RUN)
importing = page_call(Permission.IMPORTS_RUN)


@router.get("/imports")
def index(request: Request, principal: Principal = Depends(can_import)) -> Response:
    return _index(request)


@router.post("/imports")
def upload(call: PageCall = importing) -> Response:
    file = call.form.get("file")

    def create(uow: UnitOfWork) -> Any:
        if not isinstance(file, UploadFile) or not file.filename:
            raise ValidationFailed(
                "Choose a CSV or XLSX file", field="file", code=ErrorCode.REQUIRED
            )
        return services.do_create_import(
            str(call.form.get("entity") or ""),
            file.filename,
            file.file,
            uow=uow,
            storage=call.container.settings.var_dir / "imports",
            mapping_name=str(call.form.get("mapping_name") or "") or None,
            created_by=call.user_id,
        )

    return call.run(
        create,
        done=lambda imp: see_other(f"/imports/{imp.id}"),
        failed=lambda exc: _index(call.request, error=exc),
    )


@router.get("/imports/{import_id}")
def detail(
    request: Request, import_id: int, principal: Principal = Depends(can_import)
) -> Response:
    return _detail(request, import_id)


@router.post("/imports/{import_id}/mapping")
def map_columns(import_id: int, call: PageCall = importing) -> Response:
    form = call.form
    action = str(form.get("action") or "save")

    def save_then_start() -> None:
        # Each step commits on its own: a saved mapping stays when the run is refused.
        headers = call.read(lambda session: list(services.get_import(session, import_id).headers))
        mapping = _mapping_from(form, headers)
        options = {"create_contacts": form.get("create_contacts") == "on"}
        call.write(
            lambda uow: services.do_set_mapping(import_id, mapping, options=options, uow=uow)
        )
        name = str(form.get("save_as") or "").strip()
        if name:
            entity = call.read(lambda session: services.get_import(session, import_id).entity)
            call.write(lambda uow: services.do_save_mapping(name, entity, mapping, uow=uow))
        if action == "dry_run":
            call.write(
                lambda uow: services.do_start_dry_run(import_id, uow=uow, requested_by=call.user_id)
            )
        if action == "run":
            call.write(
                lambda uow: services.do_start_import(import_id, uow=uow, requested_by=call.user_id)
            )

    return call.check(
        save_then_start,
        done=f"/imports/{import_id}",
        failed=lambda exc: _detail(call.request, import_id, error=exc),
    )


@router.post("/imports/{import_id}/undo")
def undo(import_id: int, call: PageCall = importing) -> Response:
    return call.run(
        lambda uow: services.do_start_undo(import_id, uow=uow, requested_by=call.user_id),
        done=f"/imports/{import_id}",
        failed=lambda exc: _detail(call.request, import_id, error=exc),
    )


@router.get("/imports/{import_id}/errors.csv")
def errors(
    request: Request, import_id: int, principal: Principal = Depends(can_import)
) -> Response:
    return import_errors_csv(container_of(request), import_id)


def routers() -> list[APIRouter]:
    return [router]


__all__ = ["ENTITIES", "routers"]
