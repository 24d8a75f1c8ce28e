"""Saved views: shipped ones for each team, and each user's own.

A view is list parameters in the `field__op=value` syntax of records/listing, a
column list and a sort; "{me}" in a value stands for the user looking.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from leadflow.db.uow import UnitOfWork, in_own_transaction
from leadflow.errors import ErrorCode, LeadflowError, NotFound, PermissionDenied, ValidationFailed
from leadflow.lib.clock import utcnow
from leadflow.records.listing import ListQuery, parse_list_params
from leadflow.registry.derived import has_list_field
from leadflow.registry.domain import Registry
from leadflow.saved_views.models import SavedView
from leadflow.users.domain import Role

ME = "{me}"
ENTITIES = ("lead", "contact")
MAX_FILTERS = 30

# Which shipped views a role sees: sales never gets the marketing ones.
AUDIENCES: dict[Role, frozenset[str | None]] = {
    Role.ADMIN: frozenset({None, "sales", "marketing", "telemarketing"}),
    Role.MARKETER: frozenset({None, "marketing", "telemarketing", "sales"}),
    Role.TELEMARKETER: frozenset({None, "telemarketing"}),
    Role.SALESPERSON: frozenset({None, "sales"}),
    Role.SALES_MANAGER: frozenset({None, "sales"}),
}

# The view a role lands on when it opens a list without filters.
LANDING: dict[tuple[Role, str], str] = {
    (Role.SALESPERSON, "lead"): "sales_ready_leads",
    (Role.SALESPERSON, "contact"): "sales_contacts",
    (Role.SALES_MANAGER, "lead"): "sales_acceptance_queue",
    (Role.SALES_MANAGER, "contact"): "sales_contacts",
    (Role.TELEMARKETER, "lead"): "telemarketing_queue",
}

LEAD_COLUMNS = ["company_name", "stage", "score", "grade", "owner_id", "last_activity_at"]
CONTACT_COLUMNS = ["email", "account_id", "marketing_only", "created_at"]

SHIPPED: tuple[dict[str, Any], ...] = (
    {
        "key": "sales_ready_leads",
        "name": "Sales: sales-ready leads",
        "entity": "lead",
        "filters": [["status", "open"], ["sales_ready", "true"]],
        "columns": LEAD_COLUMNS,
        "sort": "-created_at",
        "audience": "sales",
    },
    {
        "key": "telemarketing_queue",
        "name": "Telemarketing queue",
        "entity": "lead",
        "filters": [
            ["status", "open"],
            ["telemarketing_ready", "true"],
            ["telemarketing_accepted", "false"],
            ["sales_ready", "false"],
        ],
        "columns": LEAD_COLUMNS,
        "sort": "created_at",
        "audience": "telemarketing",
    },
    {
        "key": "sales_acceptance_queue",
        "name": "Sales acceptance queue",
        "entity": "lead",
        "filters": [["status", "open"], ["sales_ready", "true"], ["sales_accepted", "false"]],
        "columns": LEAD_COLUMNS,
        "sort": "created_at",
        "audience": "sales",
    },
    {
        "key": "my_open_leads",
        "name": "My open leads",
        "entity": "lead",
        "filters": [["status", "open"], ["owner_id", ME]],
        "columns": LEAD_COLUMNS,
        "sort": "-created_at",
        "audience": None,
    },
    {
        "key": "marketing_contacts",
        "name": "Marketing: all contacts",
        "entity": "contact",
        "filters": [],
        "columns": CONTACT_COLUMNS,
        "sort": "-created_at",
        "audience": "marketing",
    },
    {
        "key": "sales_contacts",
        "name": "Sales: contacts",
        "entity": "contact",
        "filters": [["marketing_only", "false"]],
        "columns": CONTACT_COLUMNS,
        "sort": "-created_at",
        "audience": "sales",
    },
)


def seed_views(uow: UnitOfWork) -> None:
    """Insert the shipped views that are missing; never touch existing ones."""
    existing = set(uow.session.scalars(select(SavedView.key).where(SavedView.key.is_not(None))))
    now = utcnow()
    for view in SHIPPED:
        if view["key"] not in existing:
            uow.session.add(SavedView(**view, created_at=now, updated_at=now))
    uow.session.flush()


def visible_views(session: Session, role: Role, user_id: int, entity: str) -> list[SavedView]:
    """Shipped views of the role's audiences, then the user's own, for one entity."""
    audiences = AUDIENCES[role]
    named = [audience for audience in audiences if audience is not None]
    rows = session.scalars(
        select(SavedView)
        .where(
            SavedView.entity == entity,
            or_(
                SavedView.owner_id == user_id,
                (SavedView.owner_id.is_(None))
                & or_(SavedView.audience.in_(named), SavedView.audience.is_(None)),
            ),
        )
        .order_by(SavedView.owner_id.is_not(None), SavedView.id)
    )
    return list(rows)


def get_view(session: Session, view_id: int, *, role: Role, user_id: int) -> SavedView:
    view = session.get(SavedView, view_id)
    if view is None:
        raise NotFound(f"No view with id {view_id}", field="view")
    if view.owner_id is not None and view.owner_id != user_id:
        raise NotFound(f"No view with id {view_id}", field="view")
    if view.owner_id is None and view.audience not in AUDIENCES[role]:
        raise PermissionDenied(f"The view '{view.name}' is not for the {role} role", field="view")
    return view


def landing_view(session: Session, role: Role, entity: str) -> SavedView | None:
    key = LANDING.get((role, entity))
    if key is None:
        return None
    return session.scalar(select(SavedView).where(SavedView.key == key))


def view_params(view: SavedView, user_id: int) -> list[tuple[str, str]]:
    """The view as list parameters, "{me}" replaced by the user."""
    params = [
        (str(key), str(user_id) if value == ME else str(value)) for key, value in view.filters
    ]
    if view.sort:
        params.append(("sort", view.sort))
    return params


def view_query(registry: Registry, view: SavedView, user_id: int) -> ListQuery:
    return parse_list_params(registry, view.entity, view_params(view, user_id), view.columns)


def _checked(registry: Registry, data: Mapping[str, Any]) -> dict[str, Any]:
    name = data.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ValidationFailed("A view needs a name", field="name", code=ErrorCode.REQUIRED)
    entity = data.get("entity")
    if entity not in ENTITIES:
        raise ValidationFailed(
            "Views are of leads or contacts", field="entity", code=ErrorCode.VIEW_ENTITY_UNKNOWN
        )
    raw_filters = data.get("filters") or []
    if not isinstance(raw_filters, Sequence) or len(raw_filters) > MAX_FILTERS:
        raise ValidationFailed(
            f"Filters are a list of at most {MAX_FILTERS}",
            field="filters",
            code=ErrorCode.VIEW_FILTER_INVALID,
        )
    filters: list[list[str]] = []
    for index, item in enumerate(raw_filters):
        if (
            not isinstance(item, Sequence)
            or isinstance(item, str)
            or len(item) != 2
            or not all(isinstance(part, str | int | float | bool) for part in item)
        ):
            raise ValidationFailed(
                "Each filter is [field__op, value]",
                field=f"filters[{index}]",
                code=ErrorCode.VIEW_FILTER_INVALID,
            )
        key, value = str(item[0]), item[1]
        text = str(value).lower() if isinstance(value, bool) else str(value)
        filters.append([key, text])
    columns = data.get("columns") or []
    if not isinstance(columns, list) or not all(isinstance(c, str) for c in columns):
        raise ValidationFailed(
            "Columns are a list of field names", field="columns", code=ErrorCode.VIEW_COLUMN_INVALID
        )
    for index, column in enumerate(columns):
        if not has_list_field(registry, entity, column):
            raise ValidationFailed(
                f"No {entity} field '{column}'",
                field=f"columns[{index}]",
                code=ErrorCode.UNKNOWN_FIELD,
            )
    sort = data.get("sort") or None
    checked = {
        "name": name.strip(),
        "entity": entity,
        "filters": filters,
        "columns": columns,
        "sort": sort,
    }
    # Parsing with a stand-in user id checks every filter and the sort by the registry.
    probe = [(k, "1" if v == ME else v) for k, v in filters] + ([("sort", sort)] if sort else [])
    try:
        parse_list_params(registry, entity, probe)
    except LeadflowError as exc:
        raise ValidationFailed(exc.message, code=exc.code, field=f"filters.{exc.field}") from None
    return checked


def create_view(data: Mapping[str, Any], *, owner_id: int, uow: UnitOfWork) -> SavedView:
    now = utcnow()
    view = SavedView(
        **_checked(uow.registry, data), owner_id=owner_id, created_at=now, updated_at=now
    )
    uow.session.add(view)
    uow.session.flush()
    return view


def own_view(session: Session, view_id: int, *, owner_id: int) -> SavedView:
    """A view the user made. Shipped views and other users' are not theirs to change:
    they save a copy instead (the list's "Save as a view")."""
    view = session.get(SavedView, view_id)
    if view is None or view.owner_id != owner_id:
        raise NotFound(f"No view of yours with id {view_id}", field="view")
    return view


def update_view(
    view_id: int, data: Mapping[str, Any], *, owner_id: int, uow: UnitOfWork
) -> SavedView:
    """The view's name, filters, columns and sort replaced, checked as a new view's are.
    A view keeps its entity: its filters and columns are fields of that entity."""
    view = own_view(uow.session, view_id, owner_id=owner_id)
    entity = data.get("entity", view.entity)
    if entity != view.entity:
        raise ValidationFailed(
            f"A view of {view.entity}s stays one; save a new view of {entity}s",
            field="entity",
            code=ErrorCode.CANNOT_CHANGE,
        )
    checked = _checked(uow.registry, {**data, "entity": view.entity})
    view.name = checked["name"]
    view.filters = checked["filters"]
    view.columns = checked["columns"]
    view.sort = checked["sort"]
    view.updated_at = utcnow()
    uow.session.flush()
    return view


def delete_view(view_id: int, *, owner_id: int, uow: UnitOfWork) -> SavedView:
    view = own_view(uow.session, view_id, owner_id=owner_id)
    uow.session.delete(view)
    uow.session.flush()
    return view


def public_view(view: SavedView) -> dict[str, Any]:
    return {
        "id": view.id,
        "key": view.key,
        "name": view.name,
        "entity": view.entity,
        "filters": view.filters,
        "columns": view.columns,
        "sort": view.sort,
        "audience": view.audience,
        "shipped": view.owner_id is None,
    }


# --- Use cases: what faces call; each opens the unit of work and commits it ----------------


do_create_view = in_own_transaction(create_view)
do_update_view = in_own_transaction(update_view)
do_delete_view = in_own_transaction(delete_view)
