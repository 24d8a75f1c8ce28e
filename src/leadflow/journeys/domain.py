"""The journey engine's pure rules: `step(definition, position, stimulus, now, context)`.

A journey is data (`schemas.JourneyDefinition`); a contact's place in it is a
`Position` (the tile it stands on, when it is due, and the tile's own state: when
it arrived, which checks matched). `step` moves one position on from one stimulus
(the time came, an interaction happened, the contact must leave) as far as it can
go without waiting, and returns the new position with the commands the service
layer carries out (send an email, create a lead...) and the history it records.
No database, no clock, no I/O: the caller loads what `context` holds and passes `now`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from leadflow.errors import ValidationFailed
from leadflow.journeys.schemas import (
    ActionTile,
    ConditionTile,
    CreateLeadTile,
    CreateTaskTile,
    EndTile,
    InteractionCheck,
    JourneyDefinition,
    JourneySettings,
    SendEmailTile,
    SendWindow,
    SplitTile,
    Tile,
    UpdateFieldTile,
    WaitTile,
    WebhookTile,
)

# A step runs at most this many tiles: a definition has no cycle, so it only
# guards against a definition that slipped past the checks.
MAX_TILES_PER_STEP = 500

CONSENT_ORDER = ("none", "transactional", "marketing", "profiling")


class PositionStatus(StrEnum):
    WAITING = "waiting"  # parked on a wait, a condition or a closed send window
    DUE = "due"  # to run as soon as a worker claims it (just entered)
    DONE = "done"  # reached an end (or a tile with no next)
    EXITED = "exited"  # left early: goal reached, suppressed


ACTIVE = (PositionStatus.WAITING, PositionStatus.DUE)


class Outcome(StrEnum):
    """What happened at a tile, as the history records it."""

    PASSED = "passed"
    SENT = "sent"
    CAPPED = "capped"  # the frequency cap held the email back; the contact went on
    YES = "yes"
    NO = "no"
    BRANCH = "branch"  # a split: the history's `branch` says which
    EXITED = "exited"


@dataclass(frozen=True)
class Position:
    """Where one entry of a contact stands: the tile, its status, when it is next due,
    and the tile's state (`since`: when it parked there; `matched`: checks met)."""

    tile_id: str | None
    status: PositionStatus
    due_at: datetime | None = None
    state: Mapping[str, Any] = field(default_factory=dict)

    @property
    def active(self) -> bool:
        return self.status in ACTIVE


# Interactions whose target is an email template's id.
EMAIL_KINDS = ("email_sent", "email_opened", "email_clicked", "email_bounced")


@dataclass(frozen=True)
class ContactContext:
    """What a step needs to know about the contact, loaded by the caller beforehand."""

    contact_id: int
    time_zone: str = "UTC"
    # Emails already sent to the contact inside the frequency cap's window.
    sent_in_cap_window: int = 0
    # Split tile id -> branch index the contact was given before (kept on re-entry).
    split_branches: Mapping[str, int] = field(default_factory=dict)
    # 0..99 per split tile, stable for the contact (see `split_draw`).
    split_draws: Mapping[str, int] = field(default_factory=dict)
    # What the contact did since this entry began, of the kinds the journey's conditions
    # check: an email opened during the wait before an if/then still counts there.
    earlier: Sequence[Observed] = ()
    # What any contact of the contact's account did since this entry began: an if/then
    # decided per account looks back on it. None when the contact has no account (its
    # own `earlier` is then all there is to look back on).
    account_earlier: Sequence[Observed] | None = None

    def looked_back(self, tile: ConditionTile) -> Sequence[Observed]:
        """What an if/then reached by this contact looks back on."""
        if tile.per_account and self.account_earlier is not None:
            return self.account_earlier
        return self.earlier


# Stimuli.


@dataclass(frozen=True)
class TimeCame:
    """A worker claimed the position because its due time came."""


@dataclass(frozen=True)
class Observed:
    """An interaction of the contact (or of its account, for per-account conditions)."""

    kind: str
    occurred_at: datetime
    template_id: int | None = None
    url: str | None = None
    target_id: str | None = None


@dataclass(frozen=True)
class Leave:
    """The contact must leave the journey: `reason` is goal, suppressed or removed."""

    reason: str


Stimulus = TimeCame | Observed | Leave


# Commands: what the service layer does for a step, in the same transaction.


@dataclass(frozen=True)
class SendEmail:
    tile_id: str
    template_id: int


@dataclass(frozen=True)
class CreateLead:
    tile_id: str
    create_for: str
    last_name_placeholder: str
    owner_id: int | None = None  # None: the journey's owner


@dataclass(frozen=True)
class UpdateField:
    tile_id: str
    entity: str
    field: str
    value: str | None


@dataclass(frozen=True)
class CreateTask:
    tile_id: str
    title: str
    owner: str
    user_id: int | None
    due_in_days: int


@dataclass(frozen=True)
class CallWebhook:
    tile_id: str
    url: str


@dataclass(frozen=True)
class RunAction:
    tile_id: str
    action: str
    settings: Mapping[str, str]


@dataclass(frozen=True)
class AssignBranch:
    """Keep the contact's split branch for this tile (so re-entry takes it again)."""

    tile_id: str
    branch: int


@dataclass(frozen=True)
class Record:
    """One line of the position's history: the tile and what happened there."""

    tile_id: str
    outcome: Outcome
    branch: int | None = None


@dataclass(frozen=True)
class Exit:
    reason: str


Command = (
    SendEmail
    | CreateLead
    | UpdateField
    | CreateTask
    | CallWebhook
    | RunAction
    | AssignBranch
    | Record
    | Exit
)


@dataclass(frozen=True)
class StepResult:
    position: Position
    commands: tuple[Command, ...] = ()


# Time windows.


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


def _satisfied(tile: ConditionTile, matched: Sequence[int]) -> bool:
    if tile.any_of:
        return bool(matched)
    return set(matched) >= set(range(len(tile.checks)))


def _iso(moment: datetime) -> str:
    return moment.isoformat()


def _since(position: Position) -> datetime | None:
    value = position.state.get("since")
    return datetime.fromisoformat(value) if isinstance(value, str) else None


def _next_of(tile: Tile) -> str | None:
    value = getattr(tile, "next", None)
    return value if isinstance(value, str) else None


class _Run:
    """One step's walk over the tiles, collecting commands."""

    def __init__(
        self,
        definition: JourneyDefinition,
        settings: JourneySettings,
        context: ContactContext,
        now: datetime,
    ) -> None:
        self.tiles = definition.by_id()
        self.settings = settings
        self.context = context
        self.now = now
        self.commands: list[Command] = []
        self.sent = 0

    def park(self, tile_id: str, due: datetime | None, **state: Any) -> Position:
        return Position(tile_id, PositionStatus.WAITING, due, {"since": _iso(self.now), **state})

    def walk(self, tile_id: str | None, parked: Position | None = None) -> Position:
        """Run tiles from `tile_id`; `parked` is the position when it waits on that tile."""
        for _ in range(MAX_TILES_PER_STEP):
            if tile_id is None:
                return Position(None, PositionStatus.DONE)
            tile = self.tiles.get(tile_id)
            if tile is None:  # a tile removed under a version: the contact is done
                return Position(None, PositionStatus.DONE)
            here = parked if parked is not None and parked.tile_id == tile_id else None
            parked = None
            moved = self.one(tile, here)
            if isinstance(moved, Position):
                return moved
            tile_id = moved
        return Position(tile_id, PositionStatus.DONE)

    def one(self, tile: Tile, here: Position | None) -> str | Position | None:
        """Run one tile: the id of the tile to go to next, or the position to stop at."""
        record = self.commands.append
        if isinstance(tile, SendEmailTile):
            window = self.settings.send_window
            if window is not None:
                opening = window_opening(self.now, window, self.context.time_zone)
                if opening > self.now:
                    return self.park(tile.id, opening, held="window")
            cap = self.settings.frequency_cap
            if cap is not None and self.context.sent_in_cap_window + self.sent >= cap.messages:
                record(Record(tile.id, Outcome.CAPPED))
            else:
                self.sent += 1
                record(SendEmail(tile.id, tile.template_id))
                record(Record(tile.id, Outcome.SENT))
            return tile.next
        if isinstance(tile, WaitTile):
            if here is None:
                release = self._release(tile)
                if release > self.now:
                    return self.park(tile.id, release)
            elif here.due_at is not None and here.due_at > self.now:
                return here
            record(Record(tile.id, Outcome.PASSED))
            return tile.next
        if isinstance(tile, ConditionTile):
            if here is None:
                matched = [
                    index
                    for index, check in enumerate(tile.checks)
                    if any(check_matches(check, seen) for seen in self.context.looked_back(tile))
                ]
                if _satisfied(tile, matched):
                    record(Record(tile.id, Outcome.YES))
                    return tile.yes
                return self.park(
                    tile.id, self.now + timedelta(minutes=tile.timeout_minutes), matched=matched
                )
            matched = list(here.state.get("matched", []))
            if _satisfied(tile, matched):
                record(Record(tile.id, Outcome.YES))
                return tile.yes
            if here.due_at is not None and here.due_at > self.now:
                return here
            record(Record(tile.id, Outcome.NO))
            return tile.no
        if isinstance(tile, SplitTile):
            known = self.context.split_branches.get(tile.id)
            if known is None or not 0 <= known < len(tile.branches):
                draw = self.context.split_draws.get(tile.id, 0)
                known = pick_branch([item.percent for item in tile.branches], draw)
                record(AssignBranch(tile.id, known))
            record(Record(tile.id, Outcome.BRANCH, known))
            return tile.branches[known].next
        if isinstance(tile, EndTile):
            record(Record(tile.id, Outcome.PASSED))
            return None
        record(self._command(tile))
        record(Record(tile.id, Outcome.PASSED))
        return _next_of(tile)

    def _command(self, tile: Tile) -> Command:
        if isinstance(tile, CreateLeadTile):
            return CreateLead(tile.id, tile.create_for, tile.last_name_placeholder, tile.owner_id)
        if isinstance(tile, UpdateFieldTile):
            return UpdateField(tile.id, tile.entity, tile.field, tile.value)
        if isinstance(tile, CreateTaskTile):
            return CreateTask(tile.id, tile.title, tile.owner, tile.user_id, tile.due_in_days)
        if isinstance(tile, WebhookTile):
            return CallWebhook(tile.id, tile.url)
        if isinstance(tile, ActionTile):
            return RunAction(tile.id, tile.action, dict(tile.settings))
        raise TypeError(f"no command for tile kind {tile.kind}")  # pragma: no cover

    def _release(self, tile: WaitTile) -> datetime:
        release = self.now
        if tile.duration_minutes is not None:
            release = self.now + timedelta(minutes=tile.duration_minutes)
        elif tile.until is not None:
            until = tile.until
            if until.tzinfo is None:
                until = until.replace(tzinfo=zone(self.settings.time_zone))
            release = max(self.now, until)
        if tile.window is not None:
            release = window_opening(release, tile.window, self.context.time_zone)
        return release


def enter(
    definition: JourneyDefinition,
    settings: JourneySettings,
    context: ContactContext,
    now: datetime,
) -> StepResult:
    """A contact enters at the start tile (run at once)."""
    return step(
        definition,
        settings,
        Position(definition.start, PositionStatus.DUE, now),
        TimeCame(),
        now,
        context,
    )


def step(
    definition: JourneyDefinition,
    settings: JourneySettings,
    position: Position,
    stimulus: Stimulus,
    now: datetime,
    context: ContactContext,
) -> StepResult:
    """Move one position on from one stimulus, as far as it goes without waiting.

    - `TimeCame`: a due position runs its tile (a just-entered one from the start);
      a position not yet due stays as it is.
    - `Observed`: a condition tile records which checks the interaction meets (only
      interactions after the contact reached the tile count) and, when they hold,
      takes the yes branch at once.
    - `Leave`: the position exits where it stands.
    Finished positions never move.
    """
    if not position.active:
        return StepResult(position)
    if isinstance(stimulus, Leave):
        commands: list[Command] = []
        if position.tile_id is not None:
            commands.append(Record(position.tile_id, Outcome.EXITED))
        commands.append(Exit(stimulus.reason))
        return StepResult(
            replace(position, status=PositionStatus.EXITED, due_at=None), tuple(commands)
        )
    run = _Run(definition, settings, context, now)
    if position.tile_id is None:
        return StepResult(Position(None, PositionStatus.DONE), ())
    tile = run.tiles.get(position.tile_id)
    if isinstance(stimulus, Observed):
        if not isinstance(tile, ConditionTile) or position.status != PositionStatus.WAITING:
            return StepResult(position)
        since = _since(position)
        if since is not None and stimulus.occurred_at < since:
            return StepResult(position)
        matched = list(position.state.get("matched", []))
        hits = [
            index
            for index, check in enumerate(tile.checks)
            if index not in matched and check_matches(check, stimulus)
        ]
        if not hits:
            return StepResult(position)
        parked = replace(position, state={**position.state, "matched": sorted(matched + hits)})
        if not _satisfied(tile, parked.state["matched"]):
            # Keep what matched; the position waits on.
            return StepResult(parked)
        new = run.walk(tile.id, parked)
        return StepResult(new, tuple(run.commands))
    # The time came.
    if position.due_at is not None and position.due_at > now:
        return StepResult(position)
    waiting = position if position.status == PositionStatus.WAITING else None
    new = run.walk(position.tile_id, waiting)
    return StepResult(new, tuple(run.commands))


# Checks of a definition and its settings (the graph; the service checks the database).


def _fail(message: str, path: str) -> ValidationFailed:
    return ValidationFailed(message, field=path)


def _targets(tile: Tile) -> list[tuple[str, str | None]]:
    """(attribute path, tile id) for every tile this one leads to."""
    if isinstance(tile, ConditionTile):
        return [("yes", tile.yes), ("no", tile.no)]
    if isinstance(tile, SplitTile):
        return [(f"branches[{i}].next", item.next) for i, item in enumerate(tile.branches)]
    if isinstance(tile, EndTile):
        return []
    return [("next", _next_of(tile))]


def check_definition(definition: JourneyDefinition, prefix: str = "definition") -> None:
    """Raise ValidationFailed naming the path at fault: duplicate ids, a start or a `next`
    naming no tile, a cycle, a split not adding up to 100, a wait with no time."""
    index_of: dict[str, int] = {}
    for index, tile in enumerate(definition.tiles):
        if tile.id in index_of:
            raise _fail(f"Tile id '{tile.id}' is used twice", f"{prefix}.tiles[{index}].id")
        index_of[tile.id] = index
    if definition.start not in index_of:
        raise _fail(f"The start tile '{definition.start}' does not exist", f"{prefix}.start")
    for index, tile in enumerate(definition.tiles):
        path = f"{prefix}.tiles[{index}]"
        for attribute, target in _targets(tile):
            if target is not None and target not in index_of:
                raise _fail(f"No tile '{target}' to go to", f"{path}.{attribute}")
        if isinstance(tile, SplitTile):
            total = sum(item.percent for item in tile.branches)
            if total != 100:
                raise _fail(
                    f"The split's branches add up to {total}%, not 100%", f"{path}.branches"
                )
        if isinstance(tile, WaitTile):
            if (tile.duration_minutes is None) == (tile.until is None):
                raise _fail(
                    "A wait needs either a duration or a date and time (not both)",
                    f"{path}.duration_minutes",
                )
            if tile.window is not None:
                _check_window(tile.window, f"{path}.window")
        if isinstance(tile, CreateTaskTile) and tile.owner == "user" and tile.user_id is None:
            raise _fail("A task for a user needs the user", f"{path}.user_id")
    _check_acyclic(definition, index_of, prefix)


def _check_acyclic(definition: JourneyDefinition, index_of: dict[str, int], prefix: str) -> None:
    tiles = definition.by_id()
    colour: dict[str, int] = {}  # 1: on the path, 2: done
    for root in index_of:
        if root in colour:
            continue
        stack: list[tuple[str, list[str]]] = [(root, _children(tiles[root]))]
        colour[root] = 1
        while stack:
            node, children = stack[-1]
            if not children:
                colour[node] = 2
                stack.pop()
                continue
            child = children.pop()
            if colour.get(child) == 1:
                raise _fail(
                    f"Tile '{node}' leads back to '{child}': a journey cannot loop",
                    f"{prefix}.tiles[{index_of[node]}]",
                )
            if child not in colour:
                colour[child] = 1
                stack.append((child, _children(tiles[child])))


def _children(tile: Tile) -> list[str]:
    return [target for _, target in _targets(tile) if target is not None]


def _check_window(window: SendWindow, path: str) -> None:
    if window.end_hour <= window.start_hour:
        raise _fail("The window must end after it starts", f"{path}.end_hour")


def check_settings(settings: JourneySettings, prefix: str = "settings") -> None:
    try:
        ZoneInfo(settings.time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise _fail(f"Unknown time zone '{settings.time_zone}'", f"{prefix}.time_zone") from None
    if settings.send_window is not None:
        _check_window(settings.send_window, f"{prefix}.send_window")
    if settings.reentry == "after_interval" and settings.reentry_after_days is None:
        raise _fail("Re-entry after an interval needs the interval", f"{prefix}.reentry_after_days")
    if settings.audience_mode == "intersection" and len(settings.audience_segment_ids) < 2:
        # One segment intersected with nothing is itself: harmless, accepted.
        pass


def check_can_go_live(settings: JourneySettings, prefix: str = "settings") -> None:
    """A live journey needs someone to enter it: a segment or an event start."""
    if not settings.audience_segment_ids and settings.start_event is None:
        raise _fail(
            "Choose the audience: at least one segment, or an event start",
            f"{prefix}.audience_segment_ids",
        )


def consent_levels_from(minimum: str | None) -> list[str] | None:
    """The consent values that meet `minimum` (None: every contact qualifies)."""
    if minimum is None or minimum == CONSENT_ORDER[0]:
        return None
    return list(CONSENT_ORDER[CONSENT_ORDER.index(minimum) :])


def message_key(journey_id: int, version: int, contact_id: int, entry: int, tile_id: str) -> str:
    """The idempotency key of one step's email: the same step never sends twice."""
    return f"j{journey_id}:v{version}:c{contact_id}:e{entry}:{tile_id}"
