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

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import Row, Table, bindparam, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from leadflow.db.uow import UnitOfWork
from leadflow.errors import LeadflowError
from leadflow.interactions.models import Interaction
from leadflow.journeys import domain
from leadflow.journeys.domain import (
    EMAIL_KINDS,
    AssignBranch,
    CallWebhook,
    Command,
    ContactContext,
    CreateLead,
    CreateTask,
    Observed,
    Position,
    PositionStatus,
    Record,
    RunAction,
    SendEmail,
    Stimulus,
    TimeCame,
    UpdateField,
)
from leadflow.journeys.models import Journey, JourneySplit
from leadflow.journeys.schemas import ConditionTile, WaitTile
from leadflow.journeys.services._commands import run_command
from leadflow.journeys.services._entry import ACTIVE, POSITIONS, STEPS
from leadflow.journeys.services._versions import JourneyStatus, Published, published
from leadflow.lib.clock import utcnow
from leadflow.registry.sql import table_for

if TYPE_CHECKING:
    from leadflow.emails.services import MessageRequest

logger = logging.getLogger(__name__)

BATCH = 500
SPLITS = cast(Table, JourneySplit.__table__)
JOURNEYS = cast(Table, Journey.__table__)


@dataclass
class _Loaded:
    """What one batch's steps need, fetched before any step runs."""

    versions: dict[tuple[int, int], Published | None] = field(default_factory=dict)
    journeys: dict[int, Any] = field(default_factory=dict)
    contacts: dict[int, Any] = field(default_factory=dict)
    sent: dict[tuple[int, int], int] = field(default_factory=dict)  # (days, contact) -> n
    splits: dict[tuple[int, int], dict[str, int]] = field(default_factory=dict)
    cap_days: set[int] = field(default_factory=set)
    earlier: dict[int, list[Observed]] = field(default_factory=dict)  # contact -> seen
    account_of: dict[int, int] = field(default_factory=dict)  # contact -> account
    account_earlier: dict[int, list[Observed]] = field(default_factory=dict)  # account -> seen


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


def _load(uow: UnitOfWork, rows: Sequence[Row[Any]], now: datetime) -> _Loaded:
    from leadflow.emails.services import messages_sent_since

    session = uow.session
    loaded = _Loaded()
    for key in {(row.journey_id, row.version) for row in rows}:
        loaded.versions[key] = published(session, *key)
    journey_ids = sorted({row.journey_id for row in rows})
    loaded.journeys = {
        row.id: row
        for row in session.execute(
            select(JOURNEYS.c.id, JOURNEYS.c.name, JOURNEYS.c.owner_id).where(
                JOURNEYS.c.id.in_(journey_ids)
            )
        )
    }
    contact_ids = sorted({row.contact_id for row in rows})
    versions = [version for version in loaded.versions.values() if version is not None]
    # The contacts' rows only when a step may need them: a time zone for a window, or
    # names and accounts for commands. A journey that only sends and waits skips them.
    zoned = any(_has_window(version) for version in versions)
    acting = any(tile.kind in _ACTING for version in versions for tile in version.definition.tiles)
    if zoned or acting:
        contacts = table_for("contact")
        columns = [
            contacts.c.id,
            contacts.c.account_id,
            contacts.c.first_name,
            contacts.c.last_name,
            contacts.c.email,
        ]
        if zoned:
            columns.append(contacts.c.custom)
        loaded.contacts = {
            row.id: row
            for row in session.execute(select(*columns).where(contacts.c.id.in_(contact_ids)))
        }
    caps = {
        version.settings.frequency_cap.days
        for version in loaded.versions.values()
        if version is not None and version.settings.frequency_cap is not None
    }
    loaded.cap_days = caps
    for days in caps:
        counts = messages_sent_since(session, contact_ids, now - timedelta(days=days))
        for contact_id, count in counts.items():
            loaded.sent[(days, contact_id)] = count
    has_split = any(
        version is not None and any(tile.kind == "split" for tile in version.definition.tiles)
        for version in loaded.versions.values()
    )
    if has_split:
        for journey_id, contact_id, tile_id, branch in session.execute(
            select(
                SPLITS.c.journey_id, SPLITS.c.contact_id, SPLITS.c.tile_id, SPLITS.c.branch
            ).where(SPLITS.c.journey_id.in_(journey_ids), SPLITS.c.contact_id.in_(contact_ids))
        ):
            loaded.splits.setdefault((journey_id, contact_id), {})[tile_id] = branch
    _load_earlier(uow, rows, versions, loaded)
    return loaded


def _load_earlier(
    uow: UnitOfWork, rows: Sequence[Row[Any]], versions: Sequence[Published], loaded: _Loaded
) -> None:
    """The interactions a condition tile may look back on: of the kinds the batch's
    conditions check, since the oldest entry among the batch's positions; by the batch's
    contacts, and, for conditions decided per account, by every contact of their accounts."""
    conditions = [
        tile
        for version in versions
        for tile in version.definition.tiles
        if isinstance(tile, ConditionTile)
    ]
    kinds = sorted({check.kind.value for tile in conditions for check in tile.checks})
    if not kinds or not rows:
        return
    oldest = min(row.entered_at for row in rows)
    contact_ids = sorted({row.contact_id for row in rows})
    query = select(
        Interaction.contact_id,
        Interaction.kind,
        Interaction.occurred_at,
        Interaction.target_id,
        Interaction.data,
    ).where(
        Interaction.contact_id.in_(contact_ids),
        Interaction.kind.in_(kinds),
        Interaction.occurred_at >= oldest,
    )
    for contact_id, *interaction in uow.session.execute(query):
        loaded.earlier.setdefault(contact_id, []).append(_observed(*interaction))
    if any(tile.per_account for tile in conditions):
        _load_account_earlier(uow, contact_ids, kinds, oldest, loaded)


def _load_account_earlier(
    uow: UnitOfWork,
    contact_ids: Sequence[int],
    kinds: Sequence[str],
    oldest: datetime,
    loaded: _Loaded,
) -> None:
    """The batch contacts' accounts, and what every contact of those accounts did: two
    statements for the batch, however many contacts an account has."""
    contacts = table_for("contact")
    loaded.account_of = {
        contact_id: account_id
        for contact_id, account_id in uow.session.execute(
            select(contacts.c.id, contacts.c.account_id).where(
                contacts.c.id.in_(contact_ids), contacts.c.account_id.is_not(None)
            )
        )
    }
    if not loaded.account_of:
        return
    peers = contacts.alias("peers")
    query = (
        select(
            peers.c.account_id,
            Interaction.kind,
            Interaction.occurred_at,
            Interaction.target_id,
            Interaction.data,
        )
        .join(peers, peers.c.id == Interaction.contact_id)
        .where(
            peers.c.account_id.in_(sorted(set(loaded.account_of.values()))),
            Interaction.kind.in_(kinds),
            Interaction.occurred_at >= oldest,
        )
    )
    for account_id, *interaction in uow.session.execute(query):
        loaded.account_earlier.setdefault(account_id, []).append(_observed(*interaction))


def _observed(kind: str, occurred_at: datetime, target_id: str | None, data: Any) -> Observed:
    url = data.get("url") if isinstance(data, dict) else None
    template_id = (
        int(target_id) if kind in EMAIL_KINDS and target_id and target_id.isdigit() else None
    )
    return Observed(
        kind=kind,
        occurred_at=occurred_at,
        template_id=template_id,
        url=str(url) if url else None,
        target_id=target_id,
    )


_ACTING = {"create_lead", "update_field", "create_task", "webhook", "action"}


def _has_window(version: Published) -> bool:
    return version.settings.send_window is not None or any(
        isinstance(tile, WaitTile) and tile.window is not None for tile in version.definition.tiles
    )


def _context(loaded: _Loaded, row: Row[Any], version: Published) -> ContactContext:
    settings = version.settings
    contact = loaded.contacts.get(row.contact_id)
    custom = getattr(contact, "custom", None) or {}
    time_zone = custom.get("time_zone") if isinstance(custom, dict) else None
    cap = settings.frequency_cap
    splits = loaded.splits.get((row.journey_id, row.contact_id), {})
    draws = {
        tile.id: domain.split_draw(row.journey_id, row.contact_id, tile.id)
        for tile in version.definition.tiles
        if tile.kind == "split" and tile.id not in splits
    }
    return ContactContext(
        contact_id=row.contact_id,
        time_zone=str(time_zone) if time_zone else settings.time_zone,
        sent_in_cap_window=loaded.sent.get((cap.days, row.contact_id), 0) if cap else 0,
        split_branches=splits,
        split_draws=draws,
        earlier=domain.since_entry(loaded.earlier.get(row.contact_id, []), row.entered_at),
        account_earlier=(
            domain.since_entry(loaded.account_earlier.get(account_id, []), row.entered_at)
            if (account_id := loaded.account_of.get(row.contact_id)) is not None
            else None
        ),
    )


def _position(row: Row[Any]) -> Position:
    return Position(row.tile_id, PositionStatus(row.status), row.due_at, dict(row.state or {}))


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
    loaded = _load(uow, rows, now)
    updates: list[dict[str, Any]] = []
    carried = _Carrier(uow, loaded, now)
    for row in rows:
        version = loaded.versions.get((row.journey_id, row.version))
        if version is None:
            continue
        context = _context(loaded, row, version)
        before = _position(row)
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
                "exit_reason": _exit_reason(commands),
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


def _exit_reason(commands: Sequence[Command]) -> str | None:
    for command in commands:
        if isinstance(command, domain.Exit):
            return command.reason
    return None


class _Carrier:
    """Carries out one batch's commands and writes its history."""

    def __init__(self, uow: UnitOfWork, loaded: _Loaded, now: datetime) -> None:
        self.uow = uow
        self.loaded = loaded
        self.now = now
        self.history: list[dict[str, Any]] = []
        self.messages: list[MessageRequest] = []
        self.splits: list[dict[str, Any]] = []

    def carry(self, row: Row[Any], version: Published, commands: Sequence[Command]) -> None:
        detail: dict[str, str] = {}
        for command in commands:
            if isinstance(command, Record):
                self.history.append(
                    {
                        "position_id": row.id,
                        "journey_id": row.journey_id,
                        "contact_id": row.contact_id,
                        "tile_id": command.tile_id,
                        "outcome": command.outcome.value,
                        "branch": command.branch,
                        "detail": detail.pop(command.tile_id, None),
                        "at": self.now,
                    }
                )
            elif isinstance(command, SendEmail):
                self.messages.append(self._message(row, version, command))
            elif isinstance(command, AssignBranch):
                self.splits.append(
                    {
                        "journey_id": row.journey_id,
                        "contact_id": row.contact_id,
                        "tile_id": command.tile_id,
                        "branch": command.branch,
                    }
                )
            elif isinstance(
                command, CreateLead | UpdateField | CreateTask | CallWebhook | RunAction
            ):
                detail[command.tile_id] = self._guarded(row, version, command)

    def _message(self, row: Row[Any], version: Published, command: SendEmail) -> MessageRequest:
        from leadflow.emails.services import MessageRequest

        return MessageRequest(
            template_id=command.template_id,
            contact_id=row.contact_id,
            idempotency_key=domain.message_key(
                row.journey_id, row.version, row.contact_id, row.entry_number, command.tile_id
            ),
            journey_id=row.journey_id,
            journey_tile=command.tile_id,
            minimum_consent=version.settings.minimum_consent,
        )

    def _guarded(self, row: Row[Any], version: Published, command: Command) -> str:
        """Run one command in a savepoint: its failure is recorded, not the batch's."""
        try:
            with self.uow.savepoint():
                return run_command(
                    self.uow,
                    self.loaded.journeys[row.journey_id],
                    self.loaded.contacts.get(row.contact_id),
                    version,
                    command,
                )[:300]
        except LeadflowError as exc:
            return f"failed: {exc.message}"[:300]
        except Exception as exc:  # an action's own bug must not stall every contact
            logger.exception("journey %s tile command failed", row.journey_id)
            return f"failed: {type(exc).__name__}"[:300]

    def finish(self) -> int:
        from leadflow.emails.services import queue_messages

        session = self.uow.session
        if self.splits:
            dialect = session.get_bind().dialect.name
            builder = postgresql.insert if dialect == "postgresql" else sqlite.insert
            session.execute(builder(SPLITS).on_conflict_do_nothing(), self.splits)
        queued = queue_messages(self.messages, uow=self.uow) if self.messages else 0
        if self.history:
            session.execute(insert(STEPS), self.history)
        return queued


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
    contacts = table_for("contact")
    accounts: dict[int, int] = {}
    peers: dict[int, list[int]] = {}
    ids = sorted(seen)
    for start in range(0, len(ids), 500):
        for contact_id, account_id in uow.session.execute(
            select(contacts.c.id, contacts.c.account_id).where(
                contacts.c.id.in_(ids[start : start + 500]), contacts.c.account_id.is_not(None)
            )
        ):
            accounts[contact_id] = account_id
    account_ids = sorted(set(accounts.values()))
    heard: dict[int, list[Observed]] = {cid: list(items) for cid, items in seen.items()}
    if account_ids:
        for contact_id, account_id in uow.session.execute(
            select(contacts.c.id, contacts.c.account_id).where(
                contacts.c.account_id.in_(account_ids)
            )
        ):
            peers.setdefault(account_id, []).append(contact_id)
    by_account: dict[int, list[Observed]] = {}
    for contact_id, account_id in accounts.items():
        by_account.setdefault(account_id, []).extend(seen[contact_id])
    members = {cid for group in peers.values() for cid in group}
    rows = waiting_for(uow, sorted(set(seen) | members))
    account_of = {cid: aid for aid, group in peers.items() for cid in group}

    def stimuli(row: Row[Any]) -> Sequence[Stimulus]:
        own = heard.get(row.contact_id, [])
        version = published_cache.get((row.journey_id, row.version))
        tile = None
        if version is not None and row.tile_id is not None:
            tile = version.definition.by_id().get(row.tile_id)
        if getattr(tile, "per_account", False) and row.contact_id in account_of:
            items = by_account.get(account_of[row.contact_id], [])
        else:
            items = own
        return sorted(items, key=lambda item: item.occurred_at)

    published_cache = {
        (row.journey_id, row.version): published(uow.session, row.journey_id, row.version)
        for row in {(r.journey_id, r.version): r for r in rows}.values()
    }
    return run_positions(uow, rows, stimuli, moment)
