"""Recording interactions: one at a time or in batches of up to 10,000."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Table, func, insert, select
from sqlalchemy.orm import Session

from leadflow.db.uow import UnitOfWork, in_own_transaction
from leadflow.errors import ErrorCode, NotFound, ValidationFailed
from leadflow.interactions.domain import is_valid_kind
from leadflow.interactions.events import InteractionRecorded
from leadflow.interactions.models import Interaction
from leadflow.lib.clock import utcnow
from leadflow.records.lookup import missing_record_ids
from leadflow.registry.domain import Registry

MAX_BATCH = 10_000
INTERACTIONS: Table = Interaction.__table__  # type: ignore[assignment]
_ALLOWED = ("contact_id", "lead_id", "kind", "target_id", "occurred_at", "data")


def _validated(registry: Registry, data: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    row: dict[str, Any] = {}
    for name in data:
        if name not in _ALLOWED:
            raise ValidationFailed(
                f"Unknown field '{name}' on interaction",
                code=ErrorCode.UNKNOWN_FIELD,
                field=f"{prefix}{name}",
            )
    for name in _ALLOWED:
        definition = registry.field("interaction", name)
        try:
            row[name] = definition.coerce(data.get(name))
        except ValidationFailed as exc:
            exc.field = f"{prefix}{name}"
            raise
    if row["contact_id"] is None:
        raise ValidationFailed(
            "contact_id is required", code=ErrorCode.REQUIRED, field=f"{prefix}contact_id"
        )
    kind = row["kind"]
    if not kind or not is_valid_kind(kind):
        raise ValidationFailed(
            "kind must be a lower-case identifier such as email_opened",
            field=f"{prefix}kind",
            code=ErrorCode.INTERACTION_KIND_INVALID,
        )
    data_value = row["data"]
    if data_value is None:
        row["data"] = {}
    elif not isinstance(data_value, dict):
        raise ValidationFailed(
            "data must be an object", field=f"{prefix}data", code=ErrorCode.NOT_AN_OBJECT
        )
    if row["occurred_at"] is None:
        row["occurred_at"] = utcnow()
    return row


def record_interactions(
    items: Sequence[Mapping[str, Any]], *, uow: UnitOfWork
) -> list[InteractionRecorded]:
    """Record a batch in one transaction: all land or none, and each is published."""
    if len(items) > MAX_BATCH:
        raise ValidationFailed(
            f"A batch holds at most {MAX_BATCH} interactions ({len(items)} given)",
            code=ErrorCode.TOO_MANY_ITEMS,
            field="items",
        )
    multiple = len(items) > 1
    rows = [
        _validated(uow.registry, item, f"items[{index}]." if multiple else "")
        for index, item in enumerate(items)
    ]
    if not rows:
        return []
    _check_exist(uow.session, rows, "contact_id", "contact", multiple)
    _check_exist(uow.session, rows, "lead_id", "lead", multiple)
    now = utcnow()
    for row in rows:
        row["created_at"] = now
    ids = _insert(uow.session, rows)
    events = [
        InteractionRecorded(
            interaction_id=interaction_id,
            contact_id=row["contact_id"],
            lead_id=row["lead_id"],
            kind=row["kind"],
            target_id=row["target_id"],
            occurred_at=row["occurred_at"],
        )
        for interaction_id, row in zip(ids, rows, strict=True)
    ]
    uow.publish(*events)
    return events


def _insert(session: Session, rows: list[dict[str, Any]]) -> list[int]:
    """Insert the rows in multi-row statements; returns their ids in the rows' order."""
    if len(rows) == 1 or session.get_bind().dialect.name != "sqlite":
        return list(
            session.scalars(
                insert(INTERACTIONS).returning(INTERACTIONS.c.id, sort_by_parameter_order=True),
                rows,
            )
        )
    # SQLite cannot tie RETURNING rows to the parameter sets of a multi-row INSERT, so
    # ordered RETURNING falls back to one statement per row. The ids are given here
    # instead: every write transaction holds SQLite's write lock from its start
    # (BEGIN IMMEDIATE), so nobody else can take them; if one ever did, the insert
    # fails on the primary key rather than writing wrong data.
    last = session.scalar(select(func.max(INTERACTIONS.c.id))) or 0
    for offset, row in enumerate(rows, start=1):
        row["id"] = last + offset
    session.execute(insert(INTERACTIONS), rows)
    return [row["id"] for row in rows]


def record_interaction(data: Mapping[str, Any], *, uow: UnitOfWork) -> InteractionRecorded:
    """Record one interaction of a contact (optionally on one of its leads)."""
    [recorded] = record_interactions([data], uow=uow)
    return recorded


def _check_exist(
    session: Session,
    rows: list[dict[str, Any]],
    name: str,
    entity: str,
    multiple: bool,
) -> None:
    missing = missing_record_ids(
        session, entity, {row[name] for row in rows if row[name] is not None}
    )
    if missing:
        index = next(i for i, row in enumerate(rows) if row[name] in missing)
        prefix = f"items[{index}]." if multiple else ""
        raise ValidationFailed(
            f"No {name.removesuffix('_id')} with id {rows[index][name]}",
            field=f"{prefix}{name}",
            code=ErrorCode.REFERENCE_UNKNOWN,
        )


def get_interaction(session: Session, interaction_id: int) -> Interaction:
    row = session.get(Interaction, interaction_id)
    if row is None:
        raise NotFound(f"No interaction with id {interaction_id}", field="id")
    return row


def contact_timeline(session: Session, contact_id: int, *, limit: int = 100) -> list[Interaction]:
    """The contact's latest interactions, newest first."""
    return list(
        session.scalars(
            select(Interaction)
            .where(Interaction.contact_id == contact_id)
            .order_by(Interaction.occurred_at.desc(), Interaction.id.desc())
            .limit(limit)
        )
    )


# Use cases: what faces call. Each opens the unit of work (or joins the one its
# face holds open to render), runs the step above and commits.


do_record_interactions = in_own_transaction(record_interactions)
do_record_interaction = in_own_transaction(record_interaction)


# How many of the newest interactions `observed_data_keys` reads.
DATA_KEYS_SAMPLE = 2000


def observed_data_keys(session: Session, *, sample: int = DATA_KEYS_SAMPLE) -> list[str]:
    """The keys the newest interactions' data holds (utm_source, url...), sorted: what a
    data filter is offered to pick from. A sample by primary key, never a scan."""
    rows = session.scalars(select(Interaction.data).order_by(Interaction.id.desc()).limit(sample))
    keys = {str(key) for data in rows if isinstance(data, dict) for key in data}
    return sorted(keys, key=str.casefold)
