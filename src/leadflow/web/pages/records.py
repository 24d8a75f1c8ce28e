"""List, detail, form and delete pages, one set for every record kind in `RECORD_PAGES`.

Views stay thin: reads go through a read session and the listing/lookup
helpers, writes through the concept's services in a unit of work. A service
error re-renders the page it came from with the message beside the field.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from leadflow.db.uow import UnitOfWork
from leadflow.errors import ErrorCode, LeadflowError
from leadflow.records.values import to_public
from leadflow.registry.domain import Registry
from leadflow.users.domain import Permission as P
from leadflow.users.domain import role_allows
from leadflow.users.services import Principal
from leadflow.web.auth import Authorize, container_of
from leadflow.web.calls import PageCall, page_call, see_other
from leadflow.web.pages.display import Cell, cell_for, public_value, title_of
from leadflow.web.pages.entities import RECORD_PAGES, RecordPage
from leadflow.web.pages.forms import (
    build_form,
    changes,
    current_values,
    editable_fields,
    error_field,
    submitted_values,
)
from leadflow.web.pages.listing import NOTICE, list_view
from leadflow.web.pages.lookups import (
    interaction_targets,
    reference_fields,
    reference_options,
    reference_titles,
)
from leadflow.web.pages.panels import PanelContext, render_panels
from leadflow.web.pages.related import SectionContext, records_pointing_here
from leadflow.web.pages.render import render
from leadflow.web.pages.view_picker import saved_selection
from leadflow.web.reach import check_reach, scope_of

SYSTEM_FIELDS = ("id", "created_at", "updated_at")
# A merged record's page redirects to its survivor, so this is always empty where shown.
HIDDEN_ON_DETAIL = frozenset({"merged_into_id"})
# On the new-lead form: make the parent contact from the lead's own name and email.
NEW_CONTACT_FIELD = "new_contact"
# Contacts and leads refuse a duplicate unless the form says "create anyway".
DUPLICATE_CHECKED = frozenset({"contact", "lead"})
CREATE_ANYWAY = "create_anyway"


def _base_context(page: RecordPage, registry: Registry, principal: Principal) -> dict[str, Any]:
    return {
        "page": page,
        "entity": registry.entity(page.entity),
        "can_write": role_allows(principal.role, page.write),
        "can_save_view": role_allows(principal.role, P.VIEWS_WRITE),
    }


# Lead fields that hold the id of a marketing page, form or event: (kind, page path or None).
CAPTURE_IDS: dict[tuple[str, str], tuple[str, str | None]] = {
    ("lead", "marketing_page_id"): ("page", None),
    ("lead", "marketing_form_id"): ("form", "/forms"),
    ("lead", "event_id"): ("event", "/events"),
}


def _record_title(page: RecordPage, registry: Registry, record: Mapping[str, Any]) -> str:
    return title_of(page.entity, record, registry.entity(page.entity).label)


def _detail_context(
    session: Session, registry: Registry, page: RecordPage, principal: Principal, record_id: int
) -> dict[str, Any]:
    check_reach(session, page.entity, record_id, principal)
    record = to_public(page.get(session, record_id), registry, page.entity)
    titles = reference_titles(session, registry, page.entity, [record])
    groups: dict[str, list[tuple[str, Any]]] = {"Details": [], "Custom fields": [], "meta": []}
    targets = interaction_targets(session) if page.entity == "lead" else {}
    for definition in registry.fields_of(page.entity):
        if definition.name in HIDDEN_ON_DETAIL:
            continue
        cell = cell_for(definition, public_value(definition, record), titles)
        named = CAPTURE_IDS.get((page.entity, definition.name))
        if named is not None and not cell.empty:
            # The page, form or event that brought the lead in, by its name.
            kind, link = named
            value = str(public_value(definition, record))
            name = targets.get(kind, {}).get(value)
            if name is not None:
                cell = Cell(name, href=f"{link}/{value}" if link else None, kind="reference")
        if definition.name in SYSTEM_FIELDS:
            group = "meta"
        else:
            group = "Custom fields" if definition.custom else "Details"
        groups[group].append((definition.label, cell))
    ctx = SectionContext(
        session,
        registry,
        page.entity,
        record_id,
        principal.role,
        {p.entity: p.listing for p in RECORD_PAGES if role_allows(principal.role, p.read)},
        frozenset(p.entity for p in RECORD_PAGES if role_allows(principal.role, p.write)),
        {p.entity: scope_of(p.entity, principal) for p in RECORD_PAGES},
    )
    sections = records_pointing_here(ctx)
    for builder in page.extra_sections:
        sections.extend(builder(ctx))
    return {
        "record": record,
        "title": _record_title(page, registry, record),
        "groups": [(name, cells) for name, cells in groups.items() if cells and name != "meta"],
        "meta": groups["meta"],
        "sections": sections,
    }


def _form_page(
    request: Request,
    page: RecordPage,
    principal: Principal,
    values: Mapping[str, str],
    *,
    record_id: int | None,
    error: LeadflowError | None = None,
) -> Response:
    container = container_of(request)
    with container.read_session() as session:
        registry = container.registry_cache.get(session)
        definitions = editable_fields(registry, page.entity)
        options = {
            d.name: reference_options(
                session, registry, str(d.reference), scope_of(str(d.reference), principal)
            )
            for d in reference_fields(registry, page.entity)
        }
        title = None
        if record_id is not None:
            check_reach(session, page.entity, record_id, principal)
            record = to_public(page.get(session, record_id), registry, page.entity)
            title = _record_title(page, registry, record)
    at_field = error_field(error, {d.name for d in definitions}) if error else None
    fields = build_form(
        definitions,
        values,
        creating=record_id is None,
        errors={at_field: error.message} if error and at_field else None,
        reference_options=options,
    )
    entity = registry.entity(page.entity)
    context = {
        **_base_context(page, registry, principal),
        "fields": fields,
        "record_id": record_id,
        "title": f"Edit {title}" if title else f"New {entity.label.lower()}",
        "action": f"{page.path}/{record_id}/edit" if record_id else f"{page.path}/new",
        "cancel": f"{page.path}/{record_id}" if record_id else page.path,
        "error": error,
        "error_at_field": at_field is not None,
    }
    return render(request, "records/form.html", context, status=error.http_status if error else 200)


def _notice(request: Request, page: RecordPage, registry: Registry) -> str | None:
    if request.query_params.get(NOTICE) == "deleted":
        return f"The {registry.entity(page.entity).label.lower()} was deleted."
    return None


def record_router(page: RecordPage) -> APIRouter:
    """The list, detail, form and delete pages of one record kind."""
    router = APIRouter(include_in_schema=False)
    for add_routes in (_list_routes, _create_routes, _detail_routes, _edit_routes, _delete_routes):
        add_routes(router, page)
    return router


def _list_routes(router: APIRouter, page: RecordPage) -> None:
    @router.get(page.path)
    def list_records(
        request: Request, principal: Principal = Depends(Authorize(page.read))
    ) -> Response:
        container = container_of(request)
        with container.read_session() as session:
            registry = container.registry_cache.get(session)
            raw = request.query_params.multi_items()
            saved = saved_selection(session, principal, page.entity, page.path, raw)
            view = list_view(
                session, registry, page.listing, raw, saved, scope_of(page.entity, principal)
            )
        context = {
            **_base_context(page, registry, principal),
            "view": view,
            "notice": _notice(request, page, registry),
        }
        return render(request, "records/list.html", context, status=422 if view.error else 200)


def _create_row(page: RecordPage, form: FormData, data: dict[str, Any], uow: UnitOfWork) -> int:
    if page.entity == "lead" and form.get(NEW_CONTACT_FIELD):
        from leadflow.capture.services import do_create_lead_with_contact

        row, _ = do_create_lead_with_contact(data, uow=uow)
    elif page.entity in DUPLICATE_CHECKED:
        anyway = form.get(CREATE_ANYWAY) == "true"
        row = page.create(data, uow=uow, create_anyway=anyway)
    else:
        row = page.create(data, uow=uow)
    return int(row.id)


def _create_routes(router: APIRouter, page: RecordPage) -> None:
    path = page.path

    @router.get(f"{path}/new")
    def new_record(
        request: Request, principal: Principal = Depends(Authorize(page.write))
    ) -> Response:
        # Links such as "add a lead to this contact" pre-fill fields from the query.
        registry = container_of(request).registry()
        definitions = editable_fields(registry, page.entity)
        values = submitted_values(definitions, request.query_params)
        return _form_page(request, page, principal, values, record_id=None)

    @router.post(f"{path}/new")
    def create_record(call: PageCall = page_call(page.write)) -> Response:
        posted: dict[str, str] = {}

        def create(uow: UnitOfWork) -> int:
            definitions = editable_fields(uow.registry, page.entity)
            posted.update(submitted_values(definitions, call.form))
            return _create_row(page, call.form, changes(definitions, posted, None), uow)

        return call.run(
            create,
            done=lambda record_id: see_other(f"{path}/{record_id}"),
            failed=lambda exc: _form_page(
                call.request, page, call.principal, posted, record_id=None, error=exc
            ),
        )


def _detail_routes(router: APIRouter, page: RecordPage) -> None:
    path = page.path

    @router.get(f"{path}/{{record_id:int}}")
    def show_record(
        request: Request, record_id: int, principal: Principal = Depends(Authorize(page.read))
    ) -> Response:
        container = container_of(request)
        with container.read_session() as session:
            merged_into = getattr(page.get(session, record_id), "merged_into_id", None)
            if merged_into is not None:
                check_reach(session, page.entity, record_id, principal)
                return see_other(f"{path}/{merged_into}?merged_from={record_id}")
            registry = container.registry_cache.get(session)
            context = _detail_context(session, registry, page, principal, record_id)
            context["panels"] = render_panels(
                _panel_context(request, session, registry, page, principal, context["record"])
            )
        context.update(_base_context(page, registry, principal))
        if request.query_params.get("merged_from", "").isdigit():
            label = registry.entity(page.entity).label.lower()
            context["merged_notice"] = (
                f"The duplicate was merged into this {label}; its old link leads here."
            )
        return render(request, "records/detail.html", context)


def _panel_context(
    request: Request,
    session: Session,
    registry: Registry,
    page: RecordPage,
    principal: Principal,
    record: dict[str, Any],
) -> PanelContext:
    web_session = getattr(request.state, "web_session", None)
    return PanelContext(
        request=request,
        session=session,
        registry=registry,
        principal=principal,
        entity=page.entity,
        record_id=int(record["id"]),
        record=record,
        csrf_token=web_session.csrf if web_session else "",
    )


def _edit_routes(router: APIRouter, page: RecordPage) -> None:
    path = page.path

    @router.get(f"{path}/{{record_id:int}}/edit")
    def edit_record(
        request: Request, record_id: int, principal: Principal = Depends(Authorize(page.write))
    ) -> Response:
        container = container_of(request)
        with container.read_session() as session:
            registry = container.registry_cache.get(session)
            record = to_public(page.get(session, record_id), registry, page.entity)
        values = current_values(editable_fields(registry, page.entity), record)
        return _form_page(request, page, principal, values, record_id=record_id)

    @router.post(f"{path}/{{record_id:int}}/edit")
    def update_record(record_id: int, call: PageCall = page_call(page.write)) -> Response:
        posted: dict[str, str] = {}

        def update(uow: UnitOfWork) -> None:
            check_reach(uow.session, page.entity, record_id, call.principal)
            definitions = editable_fields(uow.registry, page.entity)
            record = to_public(page.get(uow.session, record_id), uow.registry, page.entity)
            posted.update(submitted_values(definitions, call.form))
            data = changes(definitions, posted, current_values(definitions, record))
            if data:
                page.update(record_id, data, uow=uow)

        # A record out of reach or gone is refused again by the form page itself (it
        # checks the reach and reads the record first): an error page, never the form.
        return call.run(
            update,
            done=f"{path}/{record_id}",
            failed=lambda exc: _form_page(
                call.request, page, call.principal, posted, record_id=record_id, error=exc
            ),
        )


def _delete_page(
    request: Request,
    page: RecordPage,
    principal: Principal,
    record_id: int,
    error: LeadflowError | None,
) -> Response:
    container = container_of(request)
    with container.read_session() as session:
        check_reach(session, page.entity, record_id, principal)
        registry = container.registry_cache.get(session)
        record = to_public(page.get(session, record_id), registry, page.entity)
    context = {
        **_base_context(page, registry, principal),
        "record_id": record_id,
        "title": _record_title(page, registry, record),
        "error": error,
        "offer_unlink": page.delete_unlinks_leads
        and error is not None
        and error.code is ErrorCode.HAS_DEPENDENTS,
    }
    status = error.http_status if error else 200
    return render(request, "records/delete.html", context, status=status)


def _delete_routes(router: APIRouter, page: RecordPage) -> None:
    path = page.path

    @router.get(f"{path}/{{record_id:int}}/delete")
    def confirm_delete(
        request: Request, record_id: int, principal: Principal = Depends(Authorize(page.write))
    ) -> Response:
        return _delete_page(request, page, principal, record_id, None)

    @router.post(f"{path}/{{record_id:int}}/delete")
    def delete_record(record_id: int, call: PageCall = page_call(page.write)) -> Response:
        call.read(lambda session: check_reach(session, page.entity, record_id, call.principal))
        unlink = call.form.get("unlink_leads") == "true"

        def delete(uow: UnitOfWork) -> None:
            if page.delete_unlinks_leads:
                page.delete(record_id, unlink_leads=unlink, uow=uow)
            else:
                page.delete(record_id, uow=uow)

        def refused(exc: LeadflowError) -> Response:
            if exc.http_status == 404:
                raise exc
            return _delete_page(call.request, page, call.principal, record_id, exc)

        return call.run(delete, done=f"{path}?{NOTICE}=deleted", failed=refused)


def record_routers() -> list[APIRouter]:
    return [record_router(page) for page in RECORD_PAGES]
