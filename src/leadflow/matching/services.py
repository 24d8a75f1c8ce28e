"""Matching use cases: strategy CRUD and the race-free match-or-create.

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

import functools
from collections.abc import Collection, Mapping
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    Select,
    Table,
    and_,
    bindparam,
    delete,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from leadflow.contacts.services import phone_region_for
from leadflow.db.uow import UnitOfWork, in_own_transaction
from leadflow.errors import Conflict, ErrorCode, NotFound, ValidationFailed
from leadflow.lib.clock import utcnow
from leadflow.lib.crud import NO_CONTEXT, WriteContext
from leadflow.lib.normalize import needs_region
from leadflow.matching.batch import MAX_CANDIDATES, match_expression
from leadflow.matching.domain import (
    SEEDED_STRATEGIES,
    MatchOutcome,
    MatchTarget,
    field_value,
    match_key,
    normalize_for_match,
)
from leadflow.matching.models import MatchingStrategy, MatchKey
from leadflow.registry.domain import FieldDef, FieldType, Registry
from leadflow.registry.sql import field_column, table_for

_CLAIM_ATTEMPTS = 5


# --- strategies -------------------------------------------------------------------------


def list_strategies(session: Session, target: str | None = None) -> list[MatchingStrategy]:
    query = select(MatchingStrategy).order_by(MatchingStrategy.target, MatchingStrategy.id)
    if target is not None:
        query = query.where(MatchingStrategy.target == target)
    return list(session.scalars(query))


def load_strategies(session: Session, strategy_ids: Collection[int | None]) -> None:
    """Read these strategies in one statement; the session keeps them for the matches
    that follow (a form's contact and lead strategies)."""
    wanted = sorted({item for item in strategy_ids if item is not None})
    if wanted:
        params = {f"id_{index}": item for index, item in enumerate(wanted)}
        session.scalars(_strategies_by_id(len(wanted)), params).all()


@functools.lru_cache(maxsize=8)
def _strategies_by_id(count: int) -> Select[MatchingStrategy]:
    # Equalities, not IN: an IN list is rendered anew on every execution.
    matches = [MatchingStrategy.id == bindparam(f"id_{index}") for index in range(count)]
    return select(MatchingStrategy).where(or_(*matches))


def get_strategy(session: Session, strategy_id: int) -> MatchingStrategy:
    strategy = session.get(MatchingStrategy, strategy_id)
    if strategy is None:
        raise NotFound(f"No matching strategy with id {strategy_id}", field="strategy_id")
    return strategy


def _default_strategy(session: Session, target: MatchTarget) -> MatchingStrategy | None:
    return session.scalars(
        select(MatchingStrategy)
        .where(MatchingStrategy.target == target.value, MatchingStrategy.is_default.is_(True))
        .order_by(MatchingStrategy.id)
        .limit(1)
    ).first()


def default_contact_strategy(session: Session) -> MatchingStrategy | None:
    """The org's default contact strategy (copied into every new form)."""
    return _default_strategy(session, MatchTarget.CONTACT)


def default_lead_strategy(session: Session) -> MatchingStrategy | None:
    return _default_strategy(session, MatchTarget.LEAD)


def strategy_by_seed_key(session: Session, seed_key: str) -> MatchingStrategy | None:
    return session.scalars(
        select(MatchingStrategy).where(MatchingStrategy.seed_key == seed_key)
    ).first()


def _checked_fields(registry: Registry, target: str, fields: Any) -> list[str]:
    if not isinstance(fields, list) or not fields:
        raise ValidationFailed("A strategy needs at least one field", field="fields")
    checked: list[str] = []
    for name in fields:
        if not isinstance(name, str) or not registry.has_field(target, name):
            raise ValidationFailed(
                f"No {target} field named {name!r}", code=ErrorCode.UNKNOWN_FIELD, field="fields"
            )
        definition = registry.field(target, name)
        if not definition.matchable:
            raise ValidationFailed(f"{definition.label} cannot be matched on", field="fields")
        if name not in checked:
            checked.append(name)
    return checked


def _checked_target(target: Any) -> MatchTarget:
    try:
        return MatchTarget(target)
    except ValueError:
        raise ValidationFailed("target must be 'contact' or 'lead'", field="target") from None


def create_strategy(data: Mapping[str, Any], *, uow: UnitOfWork) -> MatchingStrategy:
    """A new strategy; with `is_default` it becomes the default for its target."""
    name = str(data.get("name") or "").strip()
    if not name:
        raise ValidationFailed("A strategy needs a name", code=ErrorCode.REQUIRED, field="name")
    target = _checked_target(data.get("target"))
    fields = _checked_fields(uow.registry, target.value, data.get("fields"))
    now = utcnow()
    strategy = MatchingStrategy(
        name=name[:200],
        description=data.get("description") or None,
        target=target.value,
        fields=fields,
        is_default=False,
        created_at=now,
        updated_at=now,
    )
    uow.session.add(strategy)
    uow.session.flush()
    if data.get("is_default"):
        _make_default(uow.session, strategy)
    return strategy


def update_strategy(
    strategy_id: int, changes: Mapping[str, Any], *, uow: UnitOfWork
) -> MatchingStrategy:
    """Rename, re-describe, change fields or become the default. The target stays."""
    strategy = get_strategy(uow.session, strategy_id)
    if "target" in changes and changes["target"] != strategy.target:
        raise ValidationFailed("A strategy's target cannot change", field="target")
    if "name" in changes:
        name = str(changes["name"] or "").strip()
        if not name:
            raise ValidationFailed("A strategy needs a name", code=ErrorCode.REQUIRED, field="name")
        strategy.name = name[:200]
    if "description" in changes:
        strategy.description = changes["description"] or None
    if "fields" in changes:
        fields = _checked_fields(uow.registry, strategy.target, changes["fields"])
        if fields != strategy.fields:
            # Keys hash the old field list; they can no longer collide with new ones.
            uow.session.execute(delete(MatchKey).where(MatchKey.strategy_id == strategy.id))
        strategy.fields = fields
    if changes.get("is_default"):
        _make_default(uow.session, strategy)
    elif "is_default" in changes and strategy.is_default:
        raise ValidationFailed(
            "Make another strategy the default instead; one must stay", field="is_default"
        )
    strategy.updated_at = utcnow()
    uow.session.flush()
    return strategy


def delete_strategy(strategy_id: int, *, uow: UnitOfWork) -> None:
    """Delete a strategy that is not a default; forms using it fall back to the defaults."""
    strategy = get_strategy(uow.session, strategy_id)
    if strategy.is_default:
        raise Conflict(
            "The default strategy cannot be deleted; make another one the default first",
            field="id",
        )
    uow.session.execute(delete(MatchKey).where(MatchKey.strategy_id == strategy_id))
    uow.session.delete(strategy)
    uow.session.flush()


do_create_strategy = in_own_transaction(create_strategy)
do_update_strategy = in_own_transaction(update_strategy)
do_delete_strategy = in_own_transaction(delete_strategy)


def _make_default(session: Session, strategy: MatchingStrategy) -> None:
    session.execute(
        update(MatchingStrategy)
        .where(MatchingStrategy.target == strategy.target, MatchingStrategy.id != strategy.id)
        .values(is_default=False)
        .execution_options(synchronize_session="fetch")
    )
    strategy.is_default = True
    session.flush()


def seed_strategies(uow: UnitOfWork) -> None:
    """The shipped strategies, created once; renamed or edited ones are left alone."""
    for seed in SEEDED_STRATEGIES:
        if strategy_by_seed_key(uow.session, seed.seed_key) is not None:
            continue
        has_default = _default_strategy(uow.session, seed.target) is not None
        now = utcnow()
        uow.session.add(
            MatchingStrategy(
                name=seed.name,
                target=seed.target.value,
                fields=list(seed.fields),
                is_default=seed.is_default and not has_default,
                seed_key=seed.seed_key,
                created_at=now,
                updated_at=now,
            )
        )
        uow.session.flush()


# --- matching ---------------------------------------------------------------------------


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
        return _default_strategy(session, target)
    strategy = get_strategy(session, strategy_id)
    if strategy.target != target.value:
        raise ValidationFailed(
            f"Strategy {strategy.name!r} matches {strategy.target}s, not {target.value}s",
            field="strategy_id",
        )
    return strategy


def _outcome(
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
    registry = uow.registry
    strategy = _resolve_strategy(session, target, strategy_id)
    to_create = values if create_values is None else create_values
    if strategy is None:
        reason = f"no {target.value} matching strategy is set"
        record_id = _create_record(uow, target, to_create, context) if create else None
        return _outcome(target, record_id, None, created=create, reason=reason)

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
            region = phone_region_for(session, {**values, **to_create}, None, context)
        value = normalize_for_match(definition, raw, region)
        if value is None:
            missing.append(definition.name)
        else:
            normalised[name] = value
    if missing:
        reason = f"cannot match on {strategy.name!r}: no value for {', '.join(missing)}"
        record_id = _create_record(uow, target, to_create, context) if create else None
        return _outcome(target, record_id, strategy, created=create, reason=reason)

    query, params = _matching_query(registry, target, normalised)
    found: list[int] = list(session.scalars(query, params))
    if found:
        winner, *others = found
        return _outcome(target, winner, strategy, candidates=others)
    if not create:
        return _outcome(target, None, strategy)

    key = match_key(strategy.fields, normalised)
    if session.get_bind().dialect.name == "sqlite":
        # SQLite's writers hold the write lock for their whole transaction (BEGIN
        # IMMEDIATE): nobody can create this person meanwhile, and the query above
        # found no record that matches, so a key left for these values belongs to a
        # record that no longer matches them. The key is written with its record.
        record_id = _create_record(uow, target, to_create, context)
        _write_key(session, strategy.id, key, record_id)
        return _outcome(target, record_id, strategy, created=True)
    table = table_for(target.value)
    for _ in range(_CLAIM_ATTEMPTS):
        if _claim_key(session, strategy.id, key):
            record_id = _create_record(uow, target, to_create, context)
            _set_key_record(session, strategy.id, key, 0, record_id)
            return _outcome(target, record_id, strategy, created=True)
        holder = session.scalar(
            select(MatchKey.record_id).where(
                MatchKey.strategy_id == strategy.id, MatchKey.key == key
            )
        )
        if holder is None:
            continue  # the key's strategy was deleted meanwhile: claim again
        still_matches = session.scalar(query.where(table.c.id == holder), params)
        if still_matches is not None:
            return _outcome(target, holder, strategy)
        # The holder was edited or deleted since it claimed the key: take it over.
        if _set_key_record(session, strategy.id, key, holder, 0):
            record_id = _create_record(uow, target, to_create, context)
            _set_key_record(session, strategy.id, key, 0, record_id)
            return _outcome(target, record_id, strategy, created=True)
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


# --- duplicates already stored --------------------------------------------------------------


def _comparable(definition: FieldDef) -> tuple[ColumnElement[Any], ColumnElement[bool]]:
    """The column as matching compares it (text trimmed and case-folded), and when it holds
    a value to compare."""
    column = field_column(definition)
    compared = match_expression(definition)
    if compared is column:
        return column, column.is_not(None)
    return compared, and_(column.is_not(None), compared != "")


def duplicate_groups(
    session: Session, registry: Registry, target: MatchTarget, *, limit: int = 100
) -> list[tuple[MatchingStrategy, list[int], int]]:
    """Records that claim the same key under a strategy of `target`, found by the database:
    per strategy, one GROUP BY over the strategy's fields as matching compares them.
    Returns (strategy, [lowest id, highest id], how many share the key), newest first."""
    table = table_for(target.value)
    found: list[tuple[MatchingStrategy, list[int], int]] = []
    seen: set[tuple[int, int]] = set()
    for strategy in list_strategies(session, target.value):
        if not strategy.fields or not all(
            registry.has_field(target.value, name) for name in strategy.fields
        ):
            continue
        compared = [_comparable(registry.field(target.value, name)) for name in strategy.fields]
        keys = [key for key, _ in compared]
        statement = (
            select(func.min(table.c.id), func.max(table.c.id), func.count())
            .where(table.c.merged_into_id.is_(None), *(present for _, present in compared))
            .group_by(*keys)
            .having(func.count() > 1)
            .order_by(func.max(table.c.id).desc())
            .limit(limit)
        )
        for low, high, count in session.execute(statement):
            if (low, high) in seen:
                continue
            seen.add((low, high))
            found.append((strategy, [int(low), int(high)], int(count)))
    return found
