"""List queries over any entity: registry-checked filters, sort, search and keyset paging.

Query parameters read as `field=value` or `field__op=value`; the registry
decides whether a field exists and may be filtered, so user-supplied names
never reach SQL on their own.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    bindparam,
    func,
    not_,
    or_,
    select,
    tuple_,
    union_all,
)
from sqlalchemy.orm import Session

from leadflow.errors import ErrorCode, ValidationFailed
from leadflow.lib.bounds import INT64, NUL
from leadflow.lib.normalize import InvalidEmail, normalize_email
from leadflow.records.search import search_branches
from leadflow.registry.derived import list_field
from leadflow.registry.domain import FieldDef, FieldType, Registry
from leadflow.registry.sql import field_column, table_for

RESERVED_PARAMS = frozenset({"sort", "cursor", "limit", "q"})
MAX_LIMIT = 200
DEFAULT_LIMIT = 50


class Op(StrEnum):
    EQ = "eq"
    NE = "ne"
    LT = "lt"
    LTE = "lte"
    GT = "gt"
    GTE = "gte"
    IN = "in"
    CONTAINS = "contains"
    STARTSWITH = "startswith"
    ENDSWITH = "endswith"
    EMPTY = "empty"


TEXT_TYPES = {FieldType.TEXT, FieldType.LONG_TEXT, FieldType.EMAIL, FieldType.PHONE, FieldType.URL}


@dataclass(frozen=True)
class Filter:
    field: FieldDef
    op: Op
    value: Any


@dataclass(frozen=True)
class ListQuery:
    entity: str
    filters: tuple[Filter, ...] = ()
    sort: FieldDef | None = None
    descending: bool = True
    cursor: tuple[Any, int] | None = None
    limit: int = DEFAULT_LIMIT
    search: str | None = None
    # Conditions of who may see which rows (the caller's reach), ANDed to the filters.
    scope: tuple[ColumnElement[bool], ...] = ()
    # Derived fields (registry/derived.py) the rows carry besides the table's columns.
    derived: tuple[FieldDef, ...] = ()


@dataclass
class Page:
    items: list[Any]
    next_cursor: str | None
    extra: dict[str, Any] = field(default_factory=dict)


def parse_list_params(
    registry: Registry,
    entity: str,
    params: Iterable[tuple[str, str]],
    columns: Iterable[str] = (),
) -> ListQuery:
    """Read HTTP/CLI query parameters into a checked ListQuery.

    `columns` names the fields the rows should carry; the derived ones among them
    (score, stage...) are added to the select, the table's own are always there.
    """
    filters: list[Filter] = []
    sort_name = "-created_at" if registry.has_field(entity, "created_at") else "-id"
    cursor_token: str | None = None
    limit = DEFAULT_LIMIT
    search: str | None = None
    for key, raw in params:
        if NUL in key or NUL in raw:
            raise ValidationFailed(
                f"{key!r} holds a NUL character", code=ErrorCode.NUL_CHARACTER, field=key
            )
        if key == "sort":
            sort_name = raw or sort_name
        elif key == "cursor":
            cursor_token = raw or None
        elif key == "limit":
            limit = _parse_limit(raw)
        elif key == "q":
            search = raw.strip() or None
        else:
            filters.append(_parse_filter(registry, entity, key, raw))
    descending = sort_name.startswith("-")
    sort_field = list_field(registry, entity, sort_name.lstrip("-"))
    if not sort_field.filterable:
        raise ValidationFailed(
            f"Cannot sort on {sort_field.name}", field="sort", code=ErrorCode.FIELD_NOT_SORTABLE
        )
    cursor = decode_cursor(cursor_token) if cursor_token else None
    derived = [list_field(registry, entity, name) for name in columns]
    derived = [definition for definition in derived if definition.derived]
    if sort_field.derived and sort_field not in derived:
        derived.append(sort_field)
    return ListQuery(
        entity,
        tuple(filters),
        sort_field,
        descending,
        cursor,
        limit,
        search,
        derived=tuple(derived),
    )


def _parse_limit(raw: str) -> int:
    try:
        limit = int(raw)
    except ValueError:
        raise ValidationFailed(
            "limit must be a whole number", field="limit", code=ErrorCode.NOT_A_WHOLE_NUMBER
        ) from None
    if not 1 <= limit <= MAX_LIMIT:
        raise ValidationFailed(
            f"limit must be between 1 and {MAX_LIMIT}", field="limit", code=ErrorCode.OUT_OF_RANGE
        )
    return limit


def _parse_filter(registry: Registry, entity: str, key: str, raw: str) -> Filter:
    name, _, op_name = key.partition("__")
    definition = list_field(registry, entity, name)
    if not definition.filterable:
        raise ValidationFailed(
            f"Cannot filter on {name}", field=name, code=ErrorCode.FIELD_NOT_FILTERABLE
        )
    try:
        op = Op(op_name or "eq")
    except ValueError:
        raise ValidationFailed(
            f"Unknown operator '{op_name}' (use one of {', '.join(Op)})",
            field=key,
            code=ErrorCode.OPERATOR_UNKNOWN,
        ) from None
    if op is Op.EMPTY:
        return Filter(definition, op, raw.strip().lower() not in ("false", "0", "no"))
    if op is Op.IN:
        values = [coerce_filter_value(definition, part) for part in raw.split(",") if part]
        return Filter(definition, op, values)
    if op in (Op.CONTAINS, Op.STARTSWITH, Op.ENDSWITH):
        if definition.type not in TEXT_TYPES:
            raise ValidationFailed(
                f"{op} applies to text fields only", field=key, code=ErrorCode.OPERATOR_UNKNOWN
            )
        return Filter(definition, op, raw.strip().casefold())
    return Filter(definition, op, coerce_filter_value(definition, raw))


def coerce_filter_value(definition: FieldDef, raw: Any) -> Any:
    if definition.type is FieldType.EMAIL:
        try:
            return normalize_email(str(raw))
        except InvalidEmail:
            return str(raw).strip().casefold()
    if definition.type is FieldType.CHOICE and definition.options:
        value = definition.coerce(raw)
        return value
    if definition.type in (FieldType.TEXT, FieldType.LONG_TEXT, FieldType.PHONE, FieldType.URL):
        return str(raw).strip()
    return definition.coerce(raw)


def filter_clause(item: Filter) -> ColumnElement[bool]:
    column: Any = field_column(item.field)
    value = item.value
    clause: Any
    match item.op:
        case Op.EQ:
            clause = column.is_(None) if value is None else column == value
        case Op.NE:
            clause = or_(column.is_(None), column != value)
        case Op.LT:
            clause = column < value
        case Op.LTE:
            clause = column <= value
        case Op.GT:
            clause = column > value
        case Op.GTE:
            clause = column >= value
        case Op.IN:
            clause = column.in_(value)
        case Op.CONTAINS:
            clause = func.lower(column).contains(value, autoescape=True)
        case Op.STARTSWITH:
            clause = func.lower(column).startswith(value, autoescape=True)
        case Op.ENDSWITH:
            clause = func.lower(column).endswith(value, autoescape=True)
        case Op.EMPTY:
            is_text = item.field.type in TEXT_TYPES
            empty = or_(column.is_(None), column == "") if is_text else column.is_(None)
            clause = empty if value else not_(empty)
    return cast(ColumnElement[bool], clause)


def _limit(count: int) -> Any:
    # Written into the SQL, not bound: SQLite picks its plan before it sees bound
    # values and, not knowing the limit is small, would walk the sort index.
    return bindparam("list_limit", count, literal_execute=True)


def build_select(query: ListQuery, base: Select[Any] | None = None) -> Select[Any]:
    table = table_for(query.entity)
    statement = base if base is not None else select(table)
    if query.derived:
        statement = statement.add_columns(
            *(field_column(definition).label(definition.name) for definition in query.derived)
        )
    sort_field = query.sort or FieldDef(query.entity, "id", "ID", FieldType.INTEGER)
    sort_column = field_column(sort_field)
    id_column = table.c.id
    nullable = sort_field.custom or sort_field.derived
    nullable = nullable or bool(getattr(sort_column, "nullable", True))
    if sort_field.name == "id":
        nullable = False
    conditions = [filter_clause(item) for item in query.filters]
    conditions.extend(query.scope)
    if query.cursor is not None:
        conditions.append(
            _after_cursor(sort_column, id_column, query.cursor, query.descending, nullable)
        )
    if query.descending:
        order = [sort_column.desc().nulls_last() if nullable else sort_column.desc()]
        order.append(id_column.desc())
    else:
        order = [sort_column.asc().nulls_last() if nullable else sort_column.asc()]
        order.append(id_column.asc())
    if sort_field.name == "id":
        order = order[1:]
    if query.search:
        # The first page of each branch, then the first page of their union:
        # every row of the true first page is on its own branch's first page.
        pages = [
            select(table.c.id)
            .where(branch, *conditions)
            .order_by(*order)
            .limit(_limit(query.limit + 1))
            .subquery()
            for branch in search_branches(query.entity, query.search)
        ]
        candidates = union_all(*(select(page.c.id) for page in pages))
        statement = statement.where(id_column.in_(candidates))
    else:
        statement = statement.where(*conditions)
    return statement.order_by(*order).limit(_limit(query.limit + 1))


def _after_cursor(
    column: ColumnElement[Any],
    id_column: ColumnElement[Any],
    cursor: tuple[Any, int],
    descending: bool,
    nullable: bool,
) -> ColumnElement[bool]:
    value, last_id = cursor
    if value is None:
        return and_(column.is_(None), id_column < last_id if descending else id_column > last_id)
    # A row-value comparison lets both databases seek the (column, id) index
    # straight to the cursor instead of filtering every row before it.
    position = tuple_(column, id_column)
    bound = tuple_(bindparam(None, value, type_=column.type), bindparam(None, last_id))
    after = position < bound if descending else position > bound
    return or_(after, column.is_(None)) if nullable else after


def run_list(session: Session, query: ListQuery, base: Select[Any] | None = None) -> Page:
    rows = list(session.execute(build_select(query, base)).mappings())
    has_more = len(rows) > query.limit
    rows = rows[: query.limit]
    next_cursor = None
    if has_more and rows:
        last = rows[-1]
        sort_name = query.sort.name if query.sort else "id"
        if query.sort is not None and query.sort.custom:
            sort_value = (last.get("custom") or {}).get(sort_name)
        elif query.sort is not None and query.sort.type is FieldType.EMAIL:
            sort_value = last.get("email_normalized")
        else:
            sort_value = last.get(sort_name)
        next_cursor = encode_cursor(sort_value, int(last["id"]))
    return Page(items=[dict(row) for row in rows], next_cursor=next_cursor)


def derived_values(item: Mapping[str, Any], query: ListQuery) -> dict[str, Any]:
    """The derived fields (score, stage...) a listed row carries, as JSON-ready values."""
    values: dict[str, Any] = {}
    for definition in query.derived:
        value = item.get(definition.name)
        values[definition.name] = value.isoformat() if isinstance(value, datetime | date) else value
    return values


def encode_cursor(value: Any, row_id: int) -> str:
    if isinstance(value, datetime):
        encoded: Any = {"t": "dt", "v": value.isoformat()}
    elif isinstance(value, date):
        encoded = {"t": "d", "v": value.isoformat()}
    elif isinstance(value, Decimal):
        encoded = {"t": "dec", "v": str(value)}
    else:
        encoded = {"t": "v", "v": value}
    raw = json.dumps([encoded, row_id], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(token: str) -> tuple[Any, int]:
    try:
        padded = token + "=" * (-len(token) % 4)
        encoded, row_id = json.loads(base64.urlsafe_b64decode(padded.encode()))
        kind, value = encoded["t"], encoded["v"]
        if kind == "dt":
            value = datetime.fromisoformat(value)
        elif kind == "d":
            value = date.fromisoformat(value)
        elif kind == "dec":
            value = Decimal(value)
        elif (isinstance(value, int) and value not in INT64) or (
            isinstance(value, str) and NUL in value
        ):
            raise ValueError(value)
        if row_id not in INT64:
            raise ValueError(row_id)
        return value, int(row_id)
    except (ValueError, ArithmeticError, KeyError, TypeError, binascii.Error):
        raise ValidationFailed(
            "The cursor is not one this API issued", code=ErrorCode.INVALID_CURSOR, field="cursor"
        ) from None


def params_from_mapping(
    params: Mapping[str, str] | Sequence[tuple[str, str]],
) -> list[tuple[str, str]]:
    if isinstance(params, Mapping):
        return list(params.items())
    return list(params)
