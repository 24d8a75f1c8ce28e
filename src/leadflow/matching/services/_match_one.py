"""The race-free match-or-create of one record.

How creation stays race-free: before creating a record, the submission claims its
match key (strategy id + hash of the normalised values) with INSERT ... ON CONFLICT
DO NOTHING. The unique constraint decides the winner in the database; a loser (on
PostgreSQL it waits for the winner's commit) reads the winner's record id instead of
creating. Keys are a creation lock, not the source of truth: lookups compare the
records' own columns, and a key whose record no longer matches (edited through the
API, deleted) is taken over with a conditional UPDATE. That keeps every write path
correct without listeners on each of them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import ColumnElement, Select, Table, bindparam, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from leadflow.contacts.services import phone_region_for
from leadflow.db.uow import UnitOfWork
from leadflow.errors import Conflict, ErrorCode, ValidationFailed
from leadflow.lib.clock import utcnow
from leadflow.lib.normalize import needs_region
from leadflow.matching.batch import MAX_CANDIDATES, match_expression
from leadflow.matching.domain import (
    MatchOutcome,
    MatchTarget,
    field_value,
    match_key,
    normalize_for_match,
)
from leadflow.matching.models import MatchingStrategy, MatchKey
from leadflow.matching.services._strategies import default_strategy, get_strategy
from leadflow.records.crud import NO_CONTEXT, WriteContext
from leadflow.registry.domain import FieldDef, FieldType, Registry
from leadflow.registry.sql import table_for

_CLAIM_ATTEMPTS = 5


def match_contact(
    uow: UnitOfWork,
    values: Mapping[str, Any],
    *,
    strategy_id: int | None = None,
    create: bool = True,
    create_values: Mapping[str, Any] | None = None,
    context: WriteContext = NO_CONTEXT,
) -> MatchOutcome:
    """Find the contact the values identify, or create one (race-free).

    `values` are public contact field values (custom ones under `custom`);
    `create_values` (default: `values`) are written when a contact is created.
    Several matches: the most recently updated wins (tie: highest id); the
    others come back as `candidates`. `context` (the submission's country) is what a
    created contact is written with, and phones are compared as that contact would
    store them.
    """
    return _match(uow, MatchTarget.CONTACT, values, strategy_id, create, create_values, context)


def match_lead(
    uow: UnitOfWork,
    values: Mapping[str, Any],
    *,
    strategy_id: int | None = None,
    create: bool = True,
    create_values: Mapping[str, Any] | None = None,
    context: WriteContext = NO_CONTEXT,
) -> MatchOutcome:
    """Like `match_contact`, for leads (the default strategy: email and marketing page)."""
    return _match(uow, MatchTarget.LEAD, values, strategy_id, create, create_values, context)


def _resolve_strategy(
    session: Session, target: MatchTarget, strategy_id: int | None
) -> MatchingStrategy | None:
    if strategy_id is None:
        return default_strategy(session, target)
    strategy = get_strategy(session, strategy_id)
    if strategy.target != target.value:
        raise ValidationFailed(
            f"Strategy {strategy.name!r} matches {strategy.target}s, not {target.value}s",
            field="strategy_id",
            code=ErrorCode.STRATEGY_TARGET_MISMATCH,
        )
    return strategy


def match_outcome(
    target: MatchTarget,
    record_id: int | None,
    strategy: MatchingStrategy | None,
    *,
    created: bool = False,
    candidates: list[int] | None = None,
    reason: str | None = None,
) -> MatchOutcome:
    return MatchOutcome(
        contact_id=record_id if target is MatchTarget.CONTACT else None,
        lead_id=record_id if target is MatchTarget.LEAD else None,
        created=created,
        strategy_id=strategy.id if strategy else None,
        strategy_name=strategy.name if strategy else None,
        candidates=candidates or [],
        reason=reason,
    )


def _create_record(
    uow: UnitOfWork, target: MatchTarget, data: Mapping[str, Any], context: WriteContext
) -> int:
    if target is MatchTarget.CONTACT:
        from leadflow.contacts.services import create_contact

        return create_contact(data, uow=uow, context=context).id
    from leadflow.leads.services import create_lead

    return create_lead(data, uow=uow, context=context).id


# Built once per strategy shape (target, fields and their types), with the values
# as parameters: building the expression costs more than running it.
_MATCHING_QUERIES: dict[tuple[Any, ...], Select[tuple[int]]] = {}


def _matching_query(
    registry: Registry, target: MatchTarget, normalised: Mapping[str, Any]
) -> tuple[Select[tuple[int]], dict[str, Any]]:
    """The query for the records these values match, and its parameters."""
    definitions = [registry.field(target.value, name) for name in normalised]
    shape = (target, *((item.name, item.type, item.custom) for item in definitions))
    params = {f"match_{index}": value for index, value in enumerate(normalised.values())}
    query = _MATCHING_QUERIES.get(shape)
    if query is None:
        query = _build_matching_query(target, definitions)
        _MATCHING_QUERIES[shape] = query
    return query, params


def _build_matching_query(target: MatchTarget, definitions: list[FieldDef]) -> Select[tuple[int]]:
    table = table_for(target.value)
    conditions: list[ColumnElement[bool]] = [
        match_expression(definition) == bindparam(f"match_{index}")
        for index, definition in enumerate(definitions)
    ]
    # A record merged into another is kept only to redirect: the survivor is the match.
    conditions.append(table.c.merged_into_id.is_(None))
    return (
        select(table.c.id)
        .where(*conditions)
        .order_by(table.c.updated_at.desc(), table.c.id.desc())
        .limit(MAX_CANDIDATES + 1)
    )


def _match(
    uow: UnitOfWork,
    target: MatchTarget,
    values: Mapping[str, Any],
    strategy_id: int | None,
    create: bool,
    create_values: Mapping[str, Any] | None,
    context: WriteContext,
) -> MatchOutcome:
    session = uow.session
    strategy = _resolve_strategy(session, target, strategy_id)
    to_create = values if create_values is None else create_values
    if strategy is None:
        reason = f"no {target.value} matching strategy is set"
        record_id = _create_record(uow, target, to_create, context) if create else None
        return match_outcome(target, record_id, None, created=create, reason=reason)

    normalised, missing = _normalised(uow, target, strategy, values, to_create, context)
    if missing:
        reason = f"cannot match on {strategy.name!r}: no value for {', '.join(missing)}"
        record_id = _create_record(uow, target, to_create, context) if create else None
        return match_outcome(target, record_id, strategy, created=create, reason=reason)

    query, params = _matching_query(uow.registry, target, normalised)
    found: list[int] = list(session.scalars(query, params))
    if found:
        winner, *others = found
        return match_outcome(target, winner, strategy, candidates=others)
    if not create:
        return match_outcome(target, None, strategy)
    key = match_key(strategy.fields, normalised)
    return _create_under_key(
        uow, target, strategy, key, _MatchQuery(query, params), to_create, context
    )


def _normalised(
    uow: UnitOfWork,
    target: MatchTarget,
    strategy: MatchingStrategy,
    values: Mapping[str, Any],
    to_create: Mapping[str, Any],
    context: WriteContext,
) -> tuple[dict[str, Any], list[str]]:
    """The strategy's fields as matching compares them, and the fields without a value."""
    registry = uow.registry
    normalised: dict[str, Any] = {}
    missing: list[str] = []
    for name in strategy.fields:
        if not registry.has_field(target.value, name):
            missing.append(name)
            continue
        definition = registry.field(target.value, name)
        raw = field_value(values, definition)
        region = None
        if definition.type is FieldType.PHONE and raw is not None and needs_region(str(raw)):
            # Read as the record to be created would store it: its country, the
            # submission's, the org default.
            region = phone_region_for(uow.session, {**values, **to_create}, None, context)
        value = normalize_for_match(definition, raw, region)
        if value is None:
            missing.append(definition.name)
        else:
            normalised[name] = value
    return normalised, missing


@dataclass(frozen=True)
class _MatchQuery:
    """The query for the records some values match, with its parameters."""

    query: Select[tuple[int]]
    params: dict[str, Any]


def _create_under_key(
    uow: UnitOfWork,
    target: MatchTarget,
    strategy: MatchingStrategy,
    key: str,
    matching: _MatchQuery,
    to_create: Mapping[str, Any],
    context: WriteContext,
) -> MatchOutcome:
    """Create the record the values found none of, holding its match key: or, when another
    writer holds the key for a record that still matches, that record."""
    session = uow.session
    if session.get_bind().dialect.name == "sqlite":
        # SQLite's writers hold the write lock for their whole transaction (BEGIN
        # IMMEDIATE): nobody can create this person meanwhile, and the query above
        # found no record that matches, so a key left for these values belongs to a
        # record that no longer matches them. The key is written with its record.
        record_id = _create_record(uow, target, to_create, context)
        _write_key(session, strategy.id, key, record_id)
        return match_outcome(target, record_id, strategy, created=True)
    table = table_for(target.value)
    for _ in range(_CLAIM_ATTEMPTS):
        if _claim_key(session, strategy.id, key):
            record_id = _create_record(uow, target, to_create, context)
            _set_key_record(session, strategy.id, key, 0, record_id)
            return match_outcome(target, record_id, strategy, created=True)
        holder = session.scalar(
            select(MatchKey.record_id).where(
                MatchKey.strategy_id == strategy.id, MatchKey.key == key
            )
        )
        if holder is None:
            continue  # the key's strategy was deleted meanwhile: claim again
        still_matches = session.scalar(matching.query.where(table.c.id == holder), matching.params)
        if still_matches is not None:
            return match_outcome(target, holder, strategy)
        # The holder was edited or deleted since it claimed the key: take it over.
        if _set_key_record(session, strategy.id, key, holder, 0):
            record_id = _create_record(uow, target, to_create, context)
            _set_key_record(session, strategy.id, key, 0, record_id)
            return match_outcome(target, record_id, strategy, created=True)
    raise Conflict(
        "The record is being changed by another request; try again",
        code=ErrorCode.CONFLICT,
        field="email",
    )


def _claim_key(session: Session, strategy_id: int, key: str) -> bool:
    dialect = session.get_bind().dialect.name
    values = {"strategy_id": strategy_id, "key": key, "record_id": 0, "created_at": utcnow()}
    insert_fn = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = (
        insert_fn(MatchKey)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["strategy_id", "key"])
        .returning(MatchKey.id)
    )
    return session.execute(statement).first() is not None


def _write_key(session: Session, strategy_id: int, key: str, record_id: int) -> None:
    session.execute(
        _WRITE_KEY,
        {"strategy_id": strategy_id, "key": key, "record_id": record_id, "created_at": utcnow()},
    )


# A Core statement built once: the ORM's bulk-insert path cost more than the insert.
_KEYS = cast(Table, MatchKey.__table__)
_WRITE_KEY = sqlite.insert(_KEYS).on_conflict_do_update(
    index_elements=[_KEYS.c.strategy_id, _KEYS.c.key],
    set_={"record_id": sqlite.insert(_KEYS).excluded.record_id},
)


def _set_key_record(session: Session, strategy_id: int, key: str, old: int, new: int) -> bool:
    result = session.execute(
        update(MatchKey)
        .where(MatchKey.strategy_id == strategy_id, MatchKey.key == key, MatchKey.record_id == old)
        .values(record_id=new)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]
