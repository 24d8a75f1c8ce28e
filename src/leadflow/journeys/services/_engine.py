"""The engine's service side: claim due positions, run `domain.step`, write, carry out.

A worker claims a batch of due positions of live journeys (FOR UPDATE SKIP LOCKED on
PostgreSQL; SQLite has one writer), loads what the steps need (published versions,
the contacts' time zones, emails sent inside the frequency cap, split branches),
runs the pure step for each, and in the same transaction writes the new positions,
the history, and what the commands write: emails queued under an idempotency key
per step (`domain.message_key`), leads, field updates, tasks, webhook deliveries.
A worker killed mid-batch commits nothing, so the next claim runs the same steps
once; a step that committed is never claimed again.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row, bindparam, select, update

from leadflow.db.uow import UnitOfWork
from leadflow.journeys import domain
from leadflow.journeys.domain import (
    Command,
    Observed,
    PositionStatus,
    SendEmail,
    Stimulus,
    TimeCame,
)
from leadflow.journeys.models import Journey
from leadflow.journeys.services._carrier import Carrier, exit_reason
from leadflow.journeys.services._entry import ACTIVE, POSITIONS
from leadflow.journeys.services._loading import (
    JOURNEYS,
    contact_context,
    load_batch,
    position_of,
)
from leadflow.journeys.services._versions import JourneyStatus, Published, published
from leadflow.lib.clock import utcnow
from leadflow.registry.sql import table_for

BATCH = 500


_COLUMNS = (
    POSITIONS.c.id,
    POSITIONS.c.journey_id,
    POSITIONS.c.version,
    POSITIONS.c.contact_id,
    POSITIONS.c.entry_number,
    POSITIONS.c.tile_id,
    POSITIONS.c.status,
    POSITIONS.c.due_at,
    POSITIONS.c.state,
    POSITIONS.c.entered_at,
)


def claim_due(uow: UnitOfWork, now: datetime, limit: int = BATCH) -> list[Row[Any]]:
    """Due positions of live journeys, oldest first, locked for this transaction."""
    query = (
        select(*_COLUMNS)
        .join(JOURNEYS, JOURNEYS.c.id == POSITIONS.c.journey_id)
        .where(
            POSITIONS.c.status.in_(ACTIVE),
            POSITIONS.c.due_at <= now,
            JOURNEYS.c.status == JourneyStatus.LIVE,
        )
        .order_by(POSITIONS.c.due_at, POSITIONS.c.id)
        .limit(limit)
    )
    if uow.session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True, of=POSITIONS)
    return list(uow.session.execute(query))


def waiting_for(uow: UnitOfWork, contact_ids: Sequence[int]) -> list[Row[Any]]:
    """Positions waiting on a tile (conditions) of these contacts, in live journeys."""
    if not contact_ids:
        return []
    query = (
        select(*_COLUMNS)
        .join(JOURNEYS, JOURNEYS.c.id == POSITIONS.c.journey_id)
        .where(
            POSITIONS.c.contact_id.in_(sorted(set(contact_ids))),
            POSITIONS.c.status == PositionStatus.WAITING.value,
            JOURNEYS.c.status == JourneyStatus.LIVE,
        )
        .order_by(POSITIONS.c.id)
    )
    if uow.session.get_bind().dialect.name == "postgresql":
        # Wait for a worker holding one: it commits, then this reads the new state.
        query = query.with_for_update(of=POSITIONS)
    return list(uow.session.execute(query))


@dataclass
class BatchResult:
    claimed: int = 0
    moved: int = 0
    emails: int = 0
    finished: int = 0


def run_positions(
    uow: UnitOfWork,
    rows: Sequence[Row[Any]],
    stimuli: Callable[[Row[Any]], Sequence[Stimulus]],
    now: datetime,
) -> BatchResult:
    """Step each position through its stimuli, then write everything in this unit."""
    result = BatchResult(claimed=len(rows))
    if not rows:
        return result
    loaded = load_batch(uow, rows, now)
    updates: list[dict[str, Any]] = []
    carried = Carrier(uow, loaded, now)
    for row in rows:
        version = loaded.versions.get((row.journey_id, row.version))
        if version is None:
            continue
        context = contact_context(loaded, row, version)
        before = position_of(row)
        position = before
        commands: list[Command] = []
        for stimulus in stimuli(row):
            step = domain.step(
                version.definition, version.settings, position, stimulus, now, context
            )
            position = step.position
            commands.extend(step.commands)
        if position == before and not commands:
            continue
        emails = sum(1 for command in commands if isinstance(command, SendEmail))
        if emails:
            # The cap holds across journeys within a batch too.
            for days in loaded.cap_days:
                key = (days, row.contact_id)
                loaded.sent[key] = loaded.sent.get(key, 0) + emails
        result.moved += 1
        if not position.active:
            result.finished += 1
        carried.carry(row, version, commands)
        updates.append(
            {
                "b_id": row.id,
                "tile_id": position.tile_id,
                "status": position.status.value,
                "due_at": position.due_at,
                "state": dict(position.state),
                "ended_at": None if position.active else now,
                "exit_reason": exit_reason(commands),
            }
        )
    if updates:
        uow.session.execute(
            update(POSITIONS).where(POSITIONS.c.id == bindparam("b_id")),
            updates,
            execution_options={"synchronize_session": False},
        )
    result.emails = carried.finish()
    return result


# The two ways positions move.


def advance_due(uow: UnitOfWork, *, now: datetime | None = None, limit: int = BATCH) -> BatchResult:
    """Claim one batch of due positions and run their steps (the caller commits)."""
    moment = now or utcnow()
    rows = claim_due(uow, moment, limit)
    return run_positions(uow, rows, lambda row: (TimeCame(),), moment)


def _per_account_conditions(uow: UnitOfWork) -> bool:
    """Whether any version of a live journey has an if/then decided per account."""
    from leadflow.journeys.models import JourneyVersion

    definitions = uow.session.scalars(
        select(JourneyVersion.definition)
        .join(Journey, Journey.id == JourneyVersion.journey_id)
        .where(Journey.status == JourneyStatus.LIVE)
    )
    return any(
        tile.get("kind") == "condition" and tile.get("per_account")
        for definition in definitions
        for tile in (definition or {}).get("tiles", [])
        if isinstance(tile, dict)
    )


def observe(
    uow: UnitOfWork,
    seen: Mapping[int, Sequence[Observed]],
    *,
    now: datetime | None = None,
) -> BatchResult:
    """Interactions of contacts (contact id -> what they did, oldest first) reach the
    condition tiles they wait on; per-account conditions hear the account's contacts."""
    moment = now or utcnow()
    if not seen:
        return BatchResult()
    if not _per_account_conditions(uow):
        rows = waiting_for(uow, sorted(seen))
        return run_positions(
            uow,
            rows,
            lambda row: sorted(seen.get(row.contact_id, []), key=lambda item: item.occurred_at),
            moment,
        )
    return _observe_per_account(uow, seen, moment)


def _observe_per_account(
    uow: UnitOfWork, seen: Mapping[int, Sequence[Observed]], moment: datetime
) -> BatchResult:
    """`observe` while some live if/then is decided per account: the positions of every
    contact of the accounts heard from wait on, and such a tile hears the whole account."""
    accounts = _accounts_of(uow, sorted(seen))
    peers = _contacts_of_accounts(uow, sorted(set(accounts.values())))
    heard: dict[int, list[Observed]] = {cid: list(items) for cid, items in seen.items()}
    by_account: dict[int, list[Observed]] = {}
    for contact_id, account_id in accounts.items():
        by_account.setdefault(account_id, []).extend(seen[contact_id])
    members = {cid for group in peers.values() for cid in group}
    rows = waiting_for(uow, sorted(set(seen) | members))
    account_of = {cid: aid for aid, group in peers.items() for cid in group}
    versions = {
        (row.journey_id, row.version): published(uow.session, row.journey_id, row.version)
        for row in {(r.journey_id, r.version): r for r in rows}.values()
    }
    stimuli = _HeardPerAccount(heard, by_account, account_of, versions)
    return run_positions(uow, rows, stimuli, moment)


def _accounts_of(uow: UnitOfWork, ids: Sequence[int]) -> dict[int, int]:
    """Contact id -> account id, for the contacts that have one."""
    contacts = table_for("contact")
    accounts: dict[int, int] = {}
    for start in range(0, len(ids), 500):
        for contact_id, account_id in uow.session.execute(
            select(contacts.c.id, contacts.c.account_id).where(
                contacts.c.id.in_(ids[start : start + 500]), contacts.c.account_id.is_not(None)
            )
        ):
            accounts[contact_id] = account_id
    return accounts


def _contacts_of_accounts(uow: UnitOfWork, account_ids: Sequence[int]) -> dict[int, list[int]]:
    """Account id -> every contact of it."""
    peers: dict[int, list[int]] = {}
    if account_ids:
        contacts = table_for("contact")
        for contact_id, account_id in uow.session.execute(
            select(contacts.c.id, contacts.c.account_id).where(
                contacts.c.account_id.in_(account_ids)
            )
        ):
            peers.setdefault(account_id, []).append(contact_id)
    return peers


@dataclass(frozen=True)
class _HeardPerAccount:
    """A position's stimuli: what its account did when it waits on a per-account if/then,
    else what its contact did; oldest first."""

    heard: Mapping[int, Sequence[Observed]]
    by_account: Mapping[int, Sequence[Observed]]
    account_of: Mapping[int, int]
    versions: Mapping[tuple[int, int], Published | None]

    def __call__(self, row: Row[Any]) -> Sequence[Stimulus]:
        own = self.heard.get(row.contact_id, [])
        version = self.versions.get((row.journey_id, row.version))
        tile = None
        if version is not None and row.tile_id is not None:
            tile = version.definition.by_id().get(row.tile_id)
        if getattr(tile, "per_account", False) and row.contact_id in self.account_of:
            items = self.by_account.get(self.account_of[row.contact_id], [])
        else:
            items = own
        return sorted(items, key=lambda item: item.occurred_at)
