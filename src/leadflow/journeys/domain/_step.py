"""One step of a position: the walk over the tiles from one stimulus."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from leadflow.journeys.domain._rules import (
    check_matches,
    iso,
    next_of,
    parked_since,
    pick_branch,
    satisfied,
    window_opening,
    zone,
)
from leadflow.journeys.domain._values import (
    MAX_TILES_PER_STEP,
    AssignBranch,
    CallWebhook,
    Command,
    ContactContext,
    CreateLead,
    CreateTask,
    Exit,
    Leave,
    Observed,
    Outcome,
    Position,
    PositionStatus,
    Record,
    RunAction,
    SendEmail,
    StepResult,
    Stimulus,
    TimeCame,
    UpdateField,
)
from leadflow.journeys.schemas import (
    ActionTile,
    ConditionTile,
    CreateLeadTile,
    CreateTaskTile,
    EndTile,
    JourneyDefinition,
    JourneySettings,
    SendEmailTile,
    SplitTile,
    Tile,
    UpdateFieldTile,
    WaitTile,
    WebhookTile,
)


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
        return Position(tile_id, PositionStatus.WAITING, due, {"since": iso(self.now), **state})

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
        if isinstance(tile, SendEmailTile):
            return self._send_email(tile)
        if isinstance(tile, WaitTile):
            return self._wait(tile, here)
        if isinstance(tile, ConditionTile):
            return self._condition(tile, here)
        if isinstance(tile, SplitTile):
            return self._split(tile)
        if isinstance(tile, EndTile):
            self.commands.append(Record(tile.id, Outcome.PASSED))
            return None
        self.commands.append(self._command(tile))
        self.commands.append(Record(tile.id, Outcome.PASSED))
        return next_of(tile)

    def _send_email(self, tile: SendEmailTile) -> str | Position | None:
        """Held until the send window opens; past the frequency cap, recorded as capped."""
        window = self.settings.send_window
        if window is not None:
            opening = window_opening(self.now, window, self.context.time_zone)
            if opening > self.now:
                return self.park(tile.id, opening, held="window")
        cap = self.settings.frequency_cap
        if cap is not None and self.context.sent_in_cap_window + self.sent >= cap.messages:
            self.commands.append(Record(tile.id, Outcome.CAPPED))
        else:
            self.sent += 1
            self.commands.append(SendEmail(tile.id, tile.template_id))
            self.commands.append(Record(tile.id, Outcome.SENT))
        return tile.next

    def _wait(self, tile: WaitTile, here: Position | None) -> str | Position | None:
        if here is None:
            release = self._release(tile)
            if release > self.now:
                return self.park(tile.id, release)
        elif here.due_at is not None and here.due_at > self.now:
            return here
        self.commands.append(Record(tile.id, Outcome.PASSED))
        return tile.next

    def _condition(self, tile: ConditionTile, here: Position | None) -> str | Position | None:
        """Reached: yes at once when what the contact did since entry holds, else parked
        until the timeout. Parked: yes once the checks met hold, no when time is up."""
        record = self.commands.append
        if here is None:
            matched = [
                index
                for index, check in enumerate(tile.checks)
                if any(check_matches(check, seen) for seen in self.context.looked_back(tile))
            ]
            if satisfied(tile, matched):
                record(Record(tile.id, Outcome.YES))
                return tile.yes
            return self.park(
                tile.id, self.now + timedelta(minutes=tile.timeout_minutes), matched=matched
            )
        matched = list(here.state.get("matched", []))
        if satisfied(tile, matched):
            record(Record(tile.id, Outcome.YES))
            return tile.yes
        if here.due_at is not None and here.due_at > self.now:
            return here
        record(Record(tile.id, Outcome.NO))
        return tile.no

    def _split(self, tile: SplitTile) -> str | None:
        """The branch the contact had before, else the one its draw picks (kept)."""
        known = self.context.split_branches.get(tile.id)
        if known is None or not 0 <= known < len(tile.branches):
            draw = self.context.split_draws.get(tile.id, 0)
            known = pick_branch([item.percent for item in tile.branches], draw)
            self.commands.append(AssignBranch(tile.id, known))
        self.commands.append(Record(tile.id, Outcome.BRANCH, known))
        return tile.branches[known].next

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
        since = parked_since(position)
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
        if not satisfied(tile, parked.state["matched"]):
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
