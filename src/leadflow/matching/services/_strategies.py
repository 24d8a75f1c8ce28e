"""Matching strategies: which fields identify a contact or a lead, the default per target."""

from __future__ import annotations

import functools
from collections.abc import Collection, Mapping
from typing import Any

from sqlalchemy import Select, bindparam, delete, or_, select, update
from sqlalchemy.orm import Session

from leadflow.db.uow import UnitOfWork, in_own_transaction
from leadflow.errors import Conflict, ErrorCode, NotFound, ValidationFailed
from leadflow.lib.clock import utcnow
from leadflow.matching.domain import SEEDED_STRATEGIES, MatchTarget
from leadflow.matching.events import StrategyChanged
from leadflow.matching.models import MatchingStrategy, MatchKey
from leadflow.registry.domain import Registry


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


def default_strategy(session: Session, target: MatchTarget) -> MatchingStrategy | None:
    """The target's default strategy (None when there is none)."""
    return session.scalars(
        select(MatchingStrategy)
        .where(MatchingStrategy.target == target.value, MatchingStrategy.is_default.is_(True))
        .order_by(MatchingStrategy.id)
        .limit(1)
    ).first()


def default_contact_strategy(session: Session) -> MatchingStrategy | None:
    """The org's default contact strategy (copied into every new form)."""
    return default_strategy(session, MatchTarget.CONTACT)


def default_lead_strategy(session: Session) -> MatchingStrategy | None:
    return default_strategy(session, MatchTarget.LEAD)


def strategy_by_seed_key(session: Session, seed_key: str) -> MatchingStrategy | None:
    return session.scalars(
        select(MatchingStrategy).where(MatchingStrategy.seed_key == seed_key)
    ).first()


def _checked_fields(registry: Registry, target: str, fields: Any) -> list[str]:
    if not isinstance(fields, list) or not fields:
        raise ValidationFailed(
            "A strategy needs at least one field", field="fields", code=ErrorCode.REQUIRED
        )
    checked: list[str] = []
    for name in fields:
        if not isinstance(name, str) or not registry.has_field(target, name):
            raise ValidationFailed(
                f"No {target} field named {name!r}", code=ErrorCode.UNKNOWN_FIELD, field="fields"
            )
        definition = registry.field(target, name)
        if not definition.matchable:
            raise ValidationFailed(
                f"{definition.label} cannot be matched on",
                field="fields",
                code=ErrorCode.FIELD_NOT_MATCHABLE,
            )
        if name not in checked:
            checked.append(name)
    return checked


def _checked_flag(value: Any, field: str) -> bool:
    if not isinstance(value, bool):
        raise ValidationFailed(f"{field} must be true or false", field=field)
    return value


def _checked_target(target: Any) -> MatchTarget:
    try:
        return MatchTarget(target)
    except ValueError:
        raise ValidationFailed(
            "target must be 'contact' or 'lead'", field="target", code=ErrorCode.NOT_A_CHOICE
        ) from None


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
        lists_duplicates=_checked_flag(data.get("lists_duplicates", True), "lists_duplicates"),
        created_at=now,
        updated_at=now,
    )
    uow.session.add(strategy)
    uow.session.flush()
    if data.get("is_default"):
        _make_default(uow.session, strategy)
    uow.publish(StrategyChanged(target=strategy.target, strategy_id=strategy.id))
    return strategy


def update_strategy(
    strategy_id: int, changes: Mapping[str, Any], *, uow: UnitOfWork
) -> MatchingStrategy:
    """Rename, re-describe, change fields, list duplicates or not, or become the default.
    The target stays."""
    strategy = get_strategy(uow.session, strategy_id)
    if "target" in changes and changes["target"] != strategy.target:
        raise ValidationFailed(
            "A strategy's target cannot change", field="target", code=ErrorCode.CANNOT_CHANGE
        )
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
            uow.publish(StrategyChanged(target=strategy.target, strategy_id=strategy.id))
        strategy.fields = fields
    if "lists_duplicates" in changes:
        lists = _checked_flag(changes["lists_duplicates"], "lists_duplicates")
        if lists != strategy.lists_duplicates:
            uow.publish(StrategyChanged(target=strategy.target, strategy_id=strategy.id))
        strategy.lists_duplicates = lists
    if changes.get("is_default"):
        _make_default(uow.session, strategy)
    elif "is_default" in changes and strategy.is_default:
        raise ValidationFailed(
            "Make another strategy the default instead; one must stay",
            field="is_default",
            code=ErrorCode.ONE_MUST_STAY,
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
            code=ErrorCode.ONE_MUST_STAY,
        )
    uow.session.execute(delete(MatchKey).where(MatchKey.strategy_id == strategy_id))
    uow.session.delete(strategy)
    uow.session.flush()
    uow.publish(StrategyChanged(target=strategy.target, strategy_id=strategy_id))


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
        has_default = default_strategy(uow.session, seed.target) is not None
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
