"""List pages: the query string read as the API reads it, and the table it gives.

The same `parse_list_params` / `run_list` pair serves `/api/v1/contacts` and
`/contacts`, so a filter that works in one works in the other. The page adds
a generic "field / operator / value" row (`f_field`, `f_op`, `f_value`),
which it folds into one `field__op=value` parameter before parsing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import ColumnElement
from sqlalchemy.orm import Session

from leadflow.errors import LeadflowError
from leadflow.records.listing import RESERVED_PARAMS, Op, parse_list_params, run_list
from leadflow.records.values import to_public
from leadflow.registry.derived import has_list_field, list_field, list_fields
from leadflow.registry.domain import FieldDef, FieldType, Registry
from leadflow.web.pages.display import Cell, cell_for, humanize, public_value, title_of
from leadflow.web.pages.lookups import (
    Titles,
    reference_fields,
    reference_options,
    reference_titles,
    stage_names,
)

GENERIC = ("f_field", "f_op", "f_value")
NOTICE = "done"
# `view` names a saved view (saved_views/services.py); "all" opens the list without one.
SAVED_VIEW = "view"
PAGE_PARAMS = frozenset({*GENERIC, NOTICE, SAVED_VIEW})

OP_LABELS: dict[Op, str] = {
    Op.EQ: "is",
    Op.NE: "is not",
    Op.LT: "<",
    Op.LTE: "≤",
    Op.GT: ">",
    Op.GTE: "≥",
    Op.IN: "is one of (a,b)",
    Op.CONTAINS: "contains",
    Op.STARTSWITH: "starts with",
    Op.ENDSWITH: "ends with",
    Op.EMPTY: "is empty",
}

Params = list[tuple[str, str]]

# The operators a filter builder offers for each kind of field; the server accepts any
# operator its type allows (records/listing), the builder only offers the ones that read well.
TEXT_KINDS = {FieldType.TEXT, FieldType.LONG_TEXT, FieldType.EMAIL, FieldType.PHONE, FieldType.URL}
NUMBER_KINDS = {FieldType.INTEGER, FieldType.DECIMAL, FieldType.DATE, FieldType.DATETIME}
OPS_BY_KIND: dict[str, tuple[Op, ...]] = {
    "text": (Op.EQ, Op.NE, Op.CONTAINS, Op.STARTSWITH, Op.ENDSWITH, Op.EMPTY),
    "number": (Op.EQ, Op.NE, Op.GTE, Op.LTE, Op.GT, Op.LT, Op.EMPTY),
    "date": (Op.GTE, Op.LTE, Op.GT, Op.LT, Op.EMPTY),
    "choice": (Op.EQ, Op.NE, Op.EMPTY),
    "boolean": (Op.EQ,),
}
ME_OPTION = ("{me}", "Me (whoever looks)")


@dataclass(frozen=True)
class Column:
    name: str
    label: str
    sort_href: str | None
    sorted: str | None = None
    kind: str = "text"


@dataclass(frozen=True)
class Row:
    href: str | None
    title: str | None
    cells: list[Cell]


@dataclass(frozen=True)
class FilterControl:
    """A quick filter: a select for choices and yes/no, a text box otherwise."""

    name: str
    label: str
    value: str
    options: list[tuple[str, str]] | None = None


@dataclass(frozen=True)
class ActiveFilter:
    label: str
    remove_href: str


@dataclass
class ListView:
    columns: list[Column]
    rows: list[Row] = field(default_factory=list)
    next_href: str | None = None
    first_href: str | None = None
    error: str | None = None
    q: str = ""
    quick: list[FilterControl] = field(default_factory=list)
    hidden: Params = field(default_factory=list)
    active: list[ActiveFilter] = field(default_factory=list)
    generic_fields: list[tuple[str, str]] = field(default_factory=list)
    generic_ops: list[tuple[str, str]] = field(default_factory=list)
    generic: dict[str, str] = field(default_factory=dict)
    is_filtered: bool = False
    saved: SavedSelection | None = None
    # The filter builder's fields (filter_field_specs) and "save what I see as a view".
    field_specs: list[dict[str, Any]] = field(default_factory=list)
    save_href: str = ""


@dataclass(frozen=True)
class SavedChoice:
    view_id: int
    name: str
    href: str
    active: bool
    shipped: bool


@dataclass(frozen=True)
class SavedSelection:
    """The saved views on offer and the one applied (its parameters go before the page's)."""

    choices: list[SavedChoice]
    active_id: int | None = None
    active_name: str | None = None
    params: Params = field(default_factory=list)
    columns: tuple[str, ...] = ()
    all_href: str = ""
    # The view in force is the caller's own: theirs to edit ("Edit view").
    active_own: bool = False


def clean_params(items: Iterable[tuple[str, str]]) -> Params:
    """The query string without empty values: an empty filter box filters nothing."""
    return [(key, value) for key, value in items if value.strip() != ""]


def query_params(params: Params) -> Params:
    """What `parse_list_params` gets: page-only parameters dropped, the generic row folded."""
    generic = {key: value for key, value in params if key in GENERIC}
    result = [(key, value) for key, value in params if key not in PAGE_PARAMS]
    name, op = generic.get("f_field"), generic.get("f_op", Op.EQ.value)
    value = generic.get("f_value", "true" if op == Op.EMPTY.value else None)
    if name and value is not None:
        key = name if op == Op.EQ.value else f"{name}__{op}"
        result.append((key, value))
    return result


def href_with(path: str, params: Params, **replace: str | None) -> str:
    kept = [(key, value) for key, value in params if key not in replace and key != NOTICE]
    kept += [(key, value) for key, value in replace.items() if value is not None]
    return f"{path}?{urlencode(kept)}" if kept else path


def _sort_link(path: str, params: Params, name: str, current: str) -> tuple[str, str | None]:
    if current == name:
        return href_with(path, params, sort=f"-{name}", cursor=None), "asc"
    if current == f"-{name}":
        return href_with(path, params, sort=name, cursor=None), "desc"
    return href_with(path, params, sort=name, cursor=None), None


def filter_options(definition: FieldDef) -> list[tuple[str, str]] | None:
    if definition.type is FieldType.BOOLEAN:
        return [("true", "Yes"), ("false", "No")]
    if definition.type is FieldType.CHOICE and definition.options:
        return [(option, humanize(option)) for option in definition.options]
    return None


def filter_kind(definition: FieldDef, options: list[tuple[str, str]] | None) -> str:
    """How a builder asks for a value of this field: text, number, date, choice or yes/no."""
    if definition.type is FieldType.BOOLEAN:
        return "boolean"
    if options is not None:
        return "choice"
    if definition.type in (FieldType.DATE, FieldType.DATETIME):
        return "date"
    if definition.type in NUMBER_KINDS or definition.type is FieldType.REFERENCE:
        return "number"
    return "text"


def filter_field_specs(
    session: Session, registry: Registry, entity: str, *, with_me: bool = False
) -> list[dict[str, Any]]:
    """What a filter builder offers for an entity: each filterable field by label, the
    operators that fit its type, and the values to pick from where there is a short list
    (choices, yes/no, stages by name, owners by name)."""
    specs: list[dict[str, Any]] = []
    stages: dict[str, str] | None = None
    for definition in list_fields(registry, entity):
        if not definition.filterable or definition.type is FieldType.JSON:
            continue
        options = filter_options(definition)
        if definition.derived and definition.name == "stage":
            stages = stage_names(session) if stages is None else stages
            options = list(stages.items())
        elif definition.type is FieldType.REFERENCE and definition.reference == "user":
            users = reference_options(session, registry, "user")
            if users is not None:
                options = [(str(key), title) for key, title in users]
                if with_me:
                    options.insert(0, ME_OPTION)
        kind = filter_kind(definition, options)
        specs.append(
            {
                "name": definition.name,
                "label": definition.label,
                "kind": kind,
                "ops": [[op.value, OP_LABELS[op]] for op in OPS_BY_KIND[kind]],
                "options": [list(option) for option in options or []],
            }
        )
    return specs


@dataclass(frozen=True)
class ListSpec:
    """What an entity's list shows: its columns, its quick filters, how titles sort."""

    entity: str
    path: str
    columns: tuple[str, ...]
    quick_filters: tuple[str, ...]
    title_sort: str


def _filter_titles(session: Session, registry: Registry, spec: ListSpec, params: Params) -> Titles:
    """Titles of the records a `field=id` filter names ("Parent contact is Ada Lovelace")."""
    names = {d.name for d in reference_fields(registry, spec.entity)}
    rows = [{key: int(value)} for key, value in params if key in names and value.isdigit()]
    return reference_titles(session, registry, spec.entity, rows) if rows else {}


def _controls(registry: Registry, spec: ListSpec, params: Params, titles: Titles) -> dict[str, Any]:
    values = dict(params)
    quick = [
        FilterControl(name, d.label, values.get(name, ""), filter_options(d))
        for name in spec.quick_filters
        for d in [registry.field(spec.entity, name)]
    ]
    shown = {"q", *spec.quick_filters, *PAGE_PARAMS}
    hidden = [(key, value) for key, value in params if key not in shown and key != "cursor"]
    active = []
    for key, value in hidden:
        if key in RESERVED_PARAMS:
            continue
        name, _, op = key.partition("__")
        definition: FieldDef | None = (
            list_field(registry, spec.entity, name)
            if has_list_field(registry, spec.entity, name)
            else None
        )
        op_label = next((word for known, word in OP_LABELS.items() if known == op), op or "is")
        shown_value = value
        if definition is not None and definition.reference and value.isdigit():
            shown_value = titles.get((definition.reference, int(value)), value)
        text = f"{definition.label if definition else name} {op_label} {shown_value}"
        kept = [(k, v) for k, v in params if (k, v) != (key, value)]
        active.append(ActiveFilter(text, href_with(spec.path, kept, cursor=None)))
    filterable = [d for d in list_fields(registry, spec.entity) if d.filterable]
    return {
        "q": values.get("q", ""),
        "quick": quick,
        "hidden": hidden,
        "active": active,
        "generic_fields": [(d.name, d.label) for d in filterable],
        "generic_ops": [(op.value, label) for op, label in OP_LABELS.items()],
        "generic": {key: values.get(key, "") for key in GENERIC},
    }


def table_rows(
    session: Session,
    registry: Registry,
    spec: ListSpec,
    definitions: list[FieldDef],
    items: Iterable[Any],
) -> list[Row]:
    """Rows of listed records: a linked title, then one cell per column."""
    label = registry.entity(spec.entity).label
    items = list(items)
    records = [to_public(item, registry, spec.entity) for item in items]
    derived = [d for d in definitions if d.derived]
    if derived:
        stages = stage_names(session) if any(d.name == "stage" for d in derived) else {}
        for record, item in zip(records, items, strict=True):
            for definition in derived:
                value = item.get(definition.name)
                record[definition.name] = stages.get(value, value) if value else value
    titles = reference_titles(session, registry, spec.entity, records)
    return [
        Row(
            f"{spec.path}/{record['id']}",
            title_of(spec.entity, record, label),
            [cell_for(d, public_value(d, record), titles) for d in definitions],
        )
        for record in records
    ]


def list_view(
    session: Session,
    registry: Registry,
    spec: ListSpec,
    raw: Params,
    saved: SavedSelection | None = None,
    scope: tuple[ColumnElement[bool], ...] = (),
) -> ListView:
    """The table for one page of `spec.entity`, or the reason the query was refused."""
    params = clean_params(raw)
    base = saved.params if saved is not None else []
    if saved is not None and saved.active_id and SAVED_VIEW not in dict(params):
        # A landing view: links (sort, pages) keep it.
        params = [(SAVED_VIEW, str(saved.active_id)), *params]
    current = dict(base + params).get("sort", "-created_at")
    names = saved.columns if saved is not None and saved.columns else spec.columns
    definitions = [list_field(registry, spec.entity, name) for name in names]
    title_href, title_state = _sort_link(spec.path, params, spec.title_sort, current)
    columns = [Column("title", "Name", title_href, title_state)]
    for definition in definitions:
        href, state = (
            _sort_link(spec.path, params, definition.name, current)
            if definition.filterable
            else (None, None)
        )
        columns.append(Column(definition.name, definition.label, href, state, definition.type))
    titles = _filter_titles(session, registry, spec, params)
    view = ListView(columns=columns, saved=saved, **_controls(registry, spec, params, titles))
    view.field_specs = filter_field_specs(session, registry, spec.entity)
    view.save_href = save_view_href(spec.entity, base + query_params(params), names)
    searched = {key for key, _ in query_params(params)} - {"sort", "cursor", "limit"}
    view.is_filtered = bool(searched)
    if any(key == "cursor" for key, _ in params):
        view.first_href = href_with(spec.path, params, cursor=None)
    try:
        query = parse_list_params(registry, spec.entity, base + query_params(params), names)
        page = run_list(session, replace(query, scope=scope))
    except LeadflowError as exc:
        view.error = exc.message
        return view
    view.rows = table_rows(session, registry, spec, definitions, page.items)
    if page.next_cursor:
        view.next_href = href_with(spec.path, params, cursor=page.next_cursor)
    return view


def save_view_href(entity: str, params: Params, columns: Iterable[str]) -> str:
    """The "save a view" form, filled with the filters, sort and columns on screen."""
    kept = [
        (key, value) for key, value in params if key not in ("cursor", "limit", "q", SAVED_VIEW)
    ]
    query: Params = [("entity", entity)]
    query += [("filter", f"{key}={value}") for key, value in kept if key != "sort"]
    query += [("sort", value) for key, value in kept if key == "sort"]
    query += [("column", name) for name in columns]
    return f"/views/new?{urlencode(query)}"
