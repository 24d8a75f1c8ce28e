"""The journey engine's small rules: time zones and send windows, split draws,
interaction checks, consent levels, message keys."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from leadflow.journeys.domain._values import CONSENT_ORDER, Observed, Position
from leadflow.journeys.schemas import ConditionTile, InteractionCheck, SendWindow, Tile


def zone(name: str | None, default: str = "UTC") -> ZoneInfo:
    for candidate in (name, default, "UTC"):
        if not candidate:
            continue
        try:
            return ZoneInfo(candidate)
        except (ZoneInfoNotFoundError, ValueError):
            continue
    return ZoneInfo("UTC")


def window_opening(moment: datetime, window: SendWindow, time_zone: str) -> datetime:
    """`moment` when it falls inside the window (in `time_zone`), else the window's next
    opening after it (as an aware UTC datetime)."""
    tz = zone(time_zone)
    local = moment.astimezone(tz)
    days = set(window.weekdays)
    for offset in range(8):
        day = (local + timedelta(days=offset)).date()
        if day.weekday() not in days:
            continue
        opens = datetime(day.year, day.month, day.day, window.start_hour, tzinfo=tz)
        closes = (
            datetime(day.year, day.month, day.day, tzinfo=tz) + timedelta(days=1)
            if window.end_hour >= 24
            else datetime(day.year, day.month, day.day, window.end_hour, tzinfo=tz)
        )
        if offset == 0 and opens <= local < closes:
            return moment
        if local < opens:
            return opens.astimezone(moment.tzinfo)
    return moment  # an empty window is refused by the checks; never wait forever


def split_draw(journey_id: int, contact_id: int, tile_id: str) -> int:
    """A number 0..99, uniform over contacts and stable for (journey, contact, tile)."""
    digest = hashlib.blake2b(f"{journey_id}:{contact_id}:{tile_id}".encode(), digest_size=8)
    return int.from_bytes(digest.digest(), "big") % 100


def pick_branch(percents: Sequence[int], draw: int) -> int:
    running = 0
    for index, percent in enumerate(percents):
        running += percent
        if draw < running:
            return index
    return len(percents) - 1


def check_matches(check: InteractionCheck, seen: Observed) -> bool:
    if seen.kind != check.kind.value:
        return False
    if check.template_id is not None and seen.template_id != check.template_id:
        return False
    if check.url is not None and seen.url != check.url:
        return False
    return check.target_id is None or seen.target_id == check.target_id


def since_entry(seen: Sequence[Observed], entered_at: datetime) -> list[Observed]:
    """What happened from the moment an entry began: an interaction before it belongs
    to an earlier entry (or to none) and never decides this one's if/then."""
    return [item for item in seen if item.occurred_at >= entered_at]


def satisfied(tile: ConditionTile, matched: Sequence[int]) -> bool:
    if tile.any_of:
        return bool(matched)
    return set(matched) >= set(range(len(tile.checks)))


def iso(moment: datetime) -> str:
    return moment.isoformat()


def parked_since(position: Position) -> datetime | None:
    value = position.state.get("since")
    return datetime.fromisoformat(value) if isinstance(value, str) else None


def next_of(tile: Tile) -> str | None:
    value = getattr(tile, "next", None)
    return value if isinstance(value, str) else None


def consent_levels_from(minimum: str | None) -> list[str] | None:
    """The consent values that meet `minimum` (None: every contact qualifies)."""
    if minimum is None or minimum == CONSENT_ORDER[0]:
        return None
    return list(CONSENT_ORDER[CONSENT_ORDER.index(minimum) :])


def message_key(journey_id: int, version: int, contact_id: int, entry: int, tile_id: str) -> str:
    """The idempotency key of one step's email: the same step never sends twice."""
    return f"j{journey_id}:v{version}:c{contact_id}:e{entry}:{tile_id}"
