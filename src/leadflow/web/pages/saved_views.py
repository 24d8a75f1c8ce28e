"""The saved-view builder: filters picked by field label, operator by type, value from a list.

Nobody types `field__op=value`: each condition is a row of three controls
(`filter_field`, `filter_op`, `filter_value`), folded here into the list
parameters a view stores. The list page's "Save as a view" link fills the
builder with what is on screen (`filter=key=value`, `column`, `sort`); a view of
one's own opens in the same builder to be changed or deleted ("Edit view").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from leadflow.errors import LeadflowError, NotFound
from leadflow.records.listing import Op
from leadflow.registry.derived import list_fields
from leadflow.registry.domain import FieldType, Registry
from leadflow.saved_views import services as views
from leadflow.saved_views.models import SavedView
from leadflow.users.domain import Permission
from leadflow.users.services import Principal
from leadflow.web.auth import Authorize, container_of
from leadflow.web.calls import PageCall, page_call, see_other
from leadflow.web.errors import answer
from leadflow.web.pages.entities import RECORD_PAGES, RecordPage
from leadflow.web.pages.listing import filter_field_specs
from leadflow.web.pages.render import render

# Blank condition rows under the filled ones, for a page used without JavaScript.
BLANK_ROWS = 2


@dataclass(frozen=True)
class Condition:
    field: str
    op: str
    value: str


def split_key(key: str) -> tuple[str, str]:
    """`score__gte` -> ("score", "gte"); a bare name is "is"."""
    name, _, op = key.partition("__")
    return name, op or Op.EQ.value


def fold_condition(field: str, op: str, value: str) -> tuple[str, str] | None:
    """One builder row as a stored filter; a row without a field is left out."""
    field = field.strip()
    if not field:
        return None
    op = op.strip() or Op.EQ.value
    if op == Op.EMPTY.value:
        return (f"{field}__{op}", "true")
    return (field if op == Op.EQ.value else f"{field}__{op}", value.strip())


def conditions_from_form(form: FormData) -> list[list[str]]:
    fields = form.getlist("filter_field")
    ops = form.getlist("filter_op")
    values = form.getlist("filter_value")
    folded = []
    for index, name in enumerate(fields):
        op = str(ops[index]) if index < len(ops) else ""
        value = str(values[index]) if index < len(values) else ""
        pair = fold_condition(str(name), op, value)
        if pair is not None:
            folded.append(list(pair))
    return folded


def _record_page(entity: str) -> RecordPage:
    return next(page for page in RECORD_PAGES if page.entity == entity)


def _entity_columns(entity: str) -> tuple[str, ...]:
    return _record_page(entity).listing.columns


def _column_choices(registry: Registry, entity: str) -> list[tuple[str, str]]:
    return [
        (definition.name, definition.label)
        for definition in list_fields(registry, entity)
        if definition.type is not FieldType.JSON and definition.name != "custom"
    ]


def _builder_context(
    session: Session,
    registry: Registry,
    entity: str,
    *,
    name: str,
    filters: list[list[str]],
    columns: list[str],
    sort: str,
) -> dict[str, Any]:
    specs = filter_field_specs(session, registry, entity, with_me=True)
    rows = [Condition(*split_key(key), value) for key, value in filters]
    rows += [Condition("", "", "")] * BLANK_ROWS
    sortable = [
        (definition.name, definition.label)
        for definition in list_fields(registry, entity)
        if definition.filterable and definition.type is not FieldType.JSON
    ]
    return {
        "entity": entity,
        "entities": [(e, registry.entity(e).plural.capitalize()) for e in views.ENTITIES],
        "name": name,
        "rows": rows,
        "specs": specs,
        "specs_by_name": {spec["name"]: spec for spec in specs},
        "columns": _column_choices(registry, entity),
        "chosen": columns or list(_entity_columns(entity)),
        "sort_fields": sortable,
        "sort_field": sort.lstrip("-") or "created_at",
        "sort_descending": sort.startswith("-") or not sort,
    }


router = APIRouter(include_in_schema=False)
can_save_view = Depends(Authorize(Permission.VIEWS_WRITE))
saving_view = page_call(Permission.VIEWS_WRITE)


def _builder_page(
    request: Request,
    values: dict[str, Any],
    error: LeadflowError | None = None,
    *,
    editing: int | None = None,
) -> Response:
    """The builder filled with `values`: a new view, or (`editing`) the user's view of
    that id, whose entity stays."""
    container = container_of(request)
    with container.read_session() as session:
        registry = container.registry_cache.get(session)
        context = _builder_context(session, registry, **values)
    context["error"] = error
    context["editing"] = editing
    context["action"] = f"/views/{editing}/edit" if editing else "/views/new"
    context["entity_plural"] = registry.entity(context["entity"]).plural
    return render(request, "views/new.html", context, status=error.http_status if error else 200)


def _posted_view(form: FormData) -> dict[str, Any]:
    """The builder's form as a view's data (the shape `views.create_view` checks)."""
    sort_field = str(form.get("sort_field") or "")
    direction = "-" if str(form.get("sort_direction") or "desc") == "desc" else ""
    return {
        "name": str(form.get("name") or ""),
        "entity": str(form.get("entity") or "lead"),
        "filters": conditions_from_form(form),
        "columns": [str(column) for column in form.getlist("column")],
        "sort": f"{direction}{sort_field}" if sort_field else None,
    }


def _listed(view: SavedView) -> Response:
    return see_other(f"{_record_page(view.entity).path}?view={view.id}")


@router.get("/views/new")
def new_view(request: Request, principal: Principal = can_save_view) -> Response:
    """The builder, filled with what the list page had on screen (`filter=key=value`...)."""
    query = request.query_params
    entity = query.get("entity", "lead")
    entity = entity if entity in views.ENTITIES else "lead"
    filters = []
    for item in query.getlist("filter"):
        key, _, value = item.partition("=")
        filters.append([key, value])
    values = {
        "entity": entity,
        "name": query.get("name", ""),
        "filters": filters,
        "columns": query.getlist("column"),
        "sort": query.get("sort", ""),
    }
    return _builder_page(request, values)


@router.post("/views/new")
def create_view(call: PageCall = saving_view) -> Response:
    data = _posted_view(call.form)

    def refused(exc: LeadflowError) -> Response:
        values = {**data, "sort": data["sort"] or ""}
        if data["entity"] not in views.ENTITIES:
            values["entity"] = "lead"
        return _builder_page(call.request, values, exc)

    return call.run(
        lambda uow: views.do_create_view(data, owner_id=call.user_id, uow=uow),
        done=_listed,
        failed=refused,
    )


@router.get("/views/{view_id:int}/edit")
def edit_view(request: Request, view_id: int, principal: Principal = can_save_view) -> Response:
    """The builder filled with a view of the user's own (another's or a shipped one: 404;
    the list's "Save as a view" copies those)."""
    container = container_of(request)
    with container.read_session() as session:
        view = views.own_view(session, view_id, owner_id=principal.user_id)
        values = {
            "entity": view.entity,
            "name": view.name,
            "filters": [list(pair) for pair in view.filters],
            "columns": list(view.columns),
            "sort": view.sort or "",
        }
    return _builder_page(request, values, editing=view_id)


@router.post("/views/{view_id:int}/edit")
def update_view(view_id: int, call: PageCall = saving_view) -> Response:
    data = _posted_view(call.form)

    def refused(exc: LeadflowError) -> Response:
        if isinstance(exc, NotFound):
            return answer(call.request, exc)
        with container_of(call.request).read_session() as session:
            entity = views.own_view(session, view_id, owner_id=call.user_id).entity
        values = {**data, "entity": entity, "sort": data["sort"] or ""}
        return _builder_page(call.request, values, exc, editing=view_id)

    return call.run(
        lambda uow: views.do_update_view(view_id, data, owner_id=call.user_id, uow=uow),
        done=_listed,
        failed=refused,
    )


@router.post("/views/{view_id:int}/delete")
def delete_view(view_id: int, call: PageCall = saving_view) -> Response:
    """Deleted, and back to the whole list it was a view of."""

    def listed(view: SavedView) -> Response:
        return see_other(f"{_record_page(view.entity).path}?view=all")

    return call.run(
        lambda uow: views.do_delete_view(view_id, owner_id=call.user_id, uow=uow),
        done=listed,
        failed=lambda exc: answer(call.request, exc),
    )
