"""What one batch's steps need, fetched before any step runs: published versions, the
contacts' time zones and names, emails sent inside the frequency cap, split branches,
and the interactions an if/then looks back on."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Row, Table, select

from leadflow.db.uow import UnitOfWork
from leadflow.interactions.models import Interaction
from leadflow.journeys import domain
from leadflow.journeys.domain import (
    EMAIL_KINDS,
    ContactContext,
    Observed,
    Position,
    PositionStatus,
)
from leadflow.journeys.models import Journey, JourneySplit
from leadflow.journeys.schemas import ConditionTile, WaitTile
from leadflow.journeys.services._versions import Published, published
from leadflow.registry.sql import table_for

SPLITS = cast(Table, JourneySplit.__table__)
JOURNEYS = cast(Table, Journey.__table__)


@dataclass
class Loaded:
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


def load_batch(uow: UnitOfWork, rows: Sequence[Row[Any]], now: datetime) -> Loaded:
    from leadflow.emails.services import messages_sent_since

    session = uow.session
    loaded = Loaded()
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
    uow: UnitOfWork, rows: Sequence[Row[Any]], versions: Sequence[Published], loaded: Loaded
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
    loaded: Loaded,
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


def contact_context(loaded: Loaded, row: Row[Any], version: Published) -> ContactContext:
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


def position_of(row: Row[Any]) -> Position:
    return Position(row.tile_id, PositionStatus(row.status), row.due_at, dict(row.state or {}))
