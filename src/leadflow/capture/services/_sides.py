"""A processing batch matched to contacts, or to leads: one side at a time.

Per side, every submission is matched on its form's strategy (one lookup per strategy
for the whole batch, through `matching.batch`), the new records are made in one
multi-row insert (the same person twice in a batch once) and the strategy's keys
point at them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from leadflow.capture.services._work import SubmissionWork
from leadflow.contacts.events import ContactCreated
from leadflow.contacts.models import Contact
from leadflow.contacts.services import phone_region_for, prepare_person
from leadflow.db.uow import UnitOfWork
from leadflow.leads.events import LeadCreated
from leadflow.leads.models import Lead
from leadflow.leads.services import LEADS
from leadflow.lib.bulk import insert_rows
from leadflow.lib.clock import utcnow
from leadflow.matching.batch import Candidate, assign_keys, claim_keys, match_many
from leadflow.matching.domain import MatchOutcome, MatchTarget
from leadflow.matching.models import MatchingStrategy
from leadflow.matching.services import match_contact, match_lead, match_outcome
from leadflow.records.crud import WriteContext
from leadflow.records.values import coerce_changes

_CONTACTS = cast(Table, Contact.__table__)
_LEADS = cast(Table, Lead.__table__)

StrategyOf = Callable[[SubmissionWork, MatchTarget], MatchingStrategy | None]


class FormStrategies:
    """The matching strategy of each form and target, each looked up once per batch."""

    def __init__(self, session: Session) -> None:
        self._session = session
        self._resolved: dict[tuple[int | None, MatchTarget], MatchingStrategy | None] = {}

    def __call__(self, work: SubmissionWork, target: MatchTarget) -> MatchingStrategy | None:
        form = work.form
        wanted = (
            form.contact_strategy_id if target is MatchTarget.CONTACT else form.lead_strategy_id
        )
        if (wanted, target) not in self._resolved:
            self._resolved[(wanted, target)] = _strategy(self._session, wanted, target)
        return self._resolved[(wanted, target)]


def _strategy(
    session: Session, strategy_id: int | None, target: MatchTarget
) -> MatchingStrategy | None:
    if strategy_id is not None:
        found = session.get(MatchingStrategy, strategy_id)
        return found if found is not None and found.target == target.value else None
    return session.scalars(
        select(MatchingStrategy)
        .where(MatchingStrategy.target == target.value, MatchingStrategy.is_default.is_(True))
        .order_by(MatchingStrategy.id)
        .limit(1)
    ).first()


@dataclass(frozen=True)
class SideItem:
    """One submission on one side: the values to match on, the values to create with."""

    work: SubmissionWork
    match_values: dict[str, Any]
    create_values: dict[str, Any]


@dataclass
class MatchSide:
    """One target's step of the batch: who to match, what to create, what to update."""

    target: MatchTarget
    items: list[SideItem] = field(default_factory=list)
    # Filled by `match_side`: per item, the record matched or created.
    decided: list[MatchOutcome | None] = field(default_factory=list)


@dataclass
class _SidePlan:
    """What `match_side` decides as it goes, per index of the side's items."""

    outcomes: list[MatchOutcome | None]
    # Items that create a record without matching, and items that share another
    # item's new record (the same person twice in the batch).
    creates: list[int] = field(default_factory=list)
    shares: dict[int, int] = field(default_factory=dict)
    by_strategy: dict[int, tuple[MatchingStrategy, list[int]]] = field(default_factory=dict)


def match_side(uow: UnitOfWork, side: MatchSide, strategy_of: StrategyOf) -> list[int]:
    """Match every item of the side, create the new records (once per person), point
    their keys at them; returns the ids of records matched (not created) to update."""
    plan = _plan(side, strategy_of)
    # One strategy after another, each creating its new records before the next looks:
    # forms of one batch matching the same person on different strategies find them.
    for strategy, indexes in plan.by_strategy.values():
        _match_on_strategy(uow, side, strategy, indexes, plan)
    _created(uow, side, sorted(plan.creates), plan.outcomes)
    _share_new_records(side, plan)
    side.decided = plan.outcomes
    return [
        outcome.record_id
        for outcome in plan.outcomes
        if outcome is not None and not outcome.created and outcome.record_id is not None
    ]


def _plan(side: MatchSide, strategy_of: StrategyOf) -> _SidePlan:
    """The items grouped by the strategy they match on; those without one create."""
    plan = _SidePlan([None] * len(side.items))
    for index, item in enumerate(side.items):
        if side.target is MatchTarget.LEAD and item.work.form.generate_leads_without_matching:
            plan.creates.append(index)
            plan.outcomes[index] = MatchOutcome(created=True, reason="generated without matching")
            continue
        strategy = strategy_of(item.work, side.target)
        if strategy is None:
            plan.creates.append(index)
            reason = f"no {side.target.value} matching strategy is set"
            plan.outcomes[index] = match_outcome(
                side.target, None, None, created=True, reason=reason
            )
            continue
        plan.by_strategy.setdefault(strategy.id, (strategy, []))[1].append(index)
    return plan


def _match_on_strategy(
    uow: UnitOfWork,
    side: MatchSide,
    strategy: MatchingStrategy,
    indexes: list[int],
    plan: _SidePlan,
) -> None:
    """Match the items of one strategy at once, create the people it found no record
    of and claim their keys."""
    session = uow.session
    outcomes = plan.outcomes
    group: list[int] = []
    found = match_many(session, uow.registry, strategy, _candidates(session, side, indexes))
    first_of_key: dict[str, int] = {}
    new_keys: list[str] = []
    for index, match in zip(indexes, found, strict=True):
        if match.record_id is not None:
            outcomes[index] = match_outcome(
                side.target,
                match.record_id,
                strategy,
                created=False,
                candidates=match.candidates,
            )
        elif match.key is None:
            group.append(index)
            outcomes[index] = match_outcome(
                side.target, None, strategy, created=True, reason=match.reason
            )
        elif match.first:
            first_of_key[match.key] = index
            new_keys.append(match.key)
        else:
            plan.shares[index] = first_of_key[match.key]
    won = claim_keys(session, strategy.id, new_keys)
    for key in new_keys:
        index = first_of_key[key]
        if key in won:
            group.append(index)
            outcomes[index] = match_outcome(side.target, None, strategy, created=True)
        else:
            # PostgreSQL: another process created this person meanwhile (or holds a
            # stale key): the single path finds the winner or takes the key over.
            outcomes[index] = _single_match(uow, side, index, strategy.id)
    created = _created(uow, side, sorted(group), outcomes)
    assign_keys(
        session,
        strategy.id,
        {key: created[first_of_key[key]] for key in new_keys if key in won},
    )


def _candidates(session: Session, side: MatchSide, indexes: list[int]) -> list[Candidate]:
    return [
        Candidate(
            side.items[index].match_values,
            _region(
                session,
                {**side.items[index].match_values, **side.items[index].create_values},
                side.items[index].work.context,
            ),
        )
        for index in indexes
    ]


def _share_new_records(side: MatchSide, plan: _SidePlan) -> None:
    """Items of a person another item of the batch created point at that record."""
    for index, first in plan.shares.items():
        first_outcome = plan.outcomes[first]
        assert first_outcome is not None
        plan.outcomes[index] = _with_record(
            side.target,
            MatchOutcome(
                strategy_id=first_outcome.strategy_id, strategy_name=first_outcome.strategy_name
            ),
            first_outcome.record_id,
        )


def _region(
    session: Session, values: Mapping[str, Any], context: WriteContext
) -> Callable[[], str | None]:
    return lambda: phone_region_for(session, values, None, context)


def _created(
    uow: UnitOfWork, side: MatchSide, indexes: list[int], outcomes: list[MatchOutcome | None]
) -> dict[int, int]:
    """Create the records of these items; their outcomes name them."""
    created = _create_records(uow, side, indexes)
    for index, record_id in created.items():
        outcome = outcomes[index]
        assert outcome is not None
        outcomes[index] = _with_record(side.target, outcome, record_id)
    return created


def _with_record(target: MatchTarget, outcome: MatchOutcome, record_id: int | None) -> MatchOutcome:
    return MatchOutcome(
        contact_id=record_id if target is MatchTarget.CONTACT else None,
        lead_id=record_id if target is MatchTarget.LEAD else None,
        created=outcome.created,
        strategy_id=outcome.strategy_id,
        strategy_name=outcome.strategy_name,
        candidates=outcome.candidates,
        reason=outcome.reason,
    )


def _single_match(uow: UnitOfWork, side: MatchSide, index: int, strategy_id: int) -> MatchOutcome:
    item = side.items[index]
    match = match_contact if side.target is MatchTarget.CONTACT else match_lead
    return match(
        uow,
        item.match_values,
        strategy_id=strategy_id,
        create_values=item.create_values,
        context=item.work.context,
    )


def _create_records(uow: UnitOfWork, side: MatchSide, indexes: list[int]) -> dict[int, int]:
    """The new records of the side in one multi-row insert (the values coerced and
    prepared as `create_contact`/`create_lead` do); their Created events."""
    if not indexes:
        return {}
    session = uow.session
    entity = side.target.value
    now = utcnow()
    rows: list[dict[str, Any]] = []
    for index in indexes:
        item = side.items[index]
        builtin, custom = coerce_changes(uow.registry, entity, item.create_values, creating=True)
        if side.target is MatchTarget.CONTACT:
            prepare_person(session, builtin, None, item.work.context)
        else:
            assert LEADS.prepare is not None
            LEADS.prepare(session, builtin, None, item.work.context)
            if builtin.get("sales_ready"):
                # Created sales-ready by whoever supplied it: a manual mark (create_lead).
                builtin["sales_ready_at"] = now
                builtin["sales_ready_source"] = "manual"
        rows.append(
            {
                **builtin,
                "custom": {name: value for name, value in custom.items() if value is not None},
                "created_at": now,
                "updated_at": now,
            }
        )
    table = _CONTACTS if side.target is MatchTarget.CONTACT else _LEADS
    ids = insert_rows(session, table, rows)
    if side.target is MatchTarget.CONTACT:
        uow.publish(*(ContactCreated(record_id) for record_id in ids))
    else:
        uow.publish(*(LeadCreated(record_id) for record_id in ids))
    return dict(zip(indexes, ids, strict=True))
