"""Checks of a definition and its settings (the graph; the service checks the database)."""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from leadflow.errors import ErrorCode, ValidationFailed
from leadflow.journeys.domain._rules import next_of
from leadflow.journeys.schemas import (
    ConditionTile,
    CreateTaskTile,
    EndTile,
    JourneyDefinition,
    JourneySettings,
    SendWindow,
    SplitTile,
    Tile,
    WaitTile,
)


def _fail(message: str, path: str) -> ValidationFailed:
    return ValidationFailed(message, field=path, code=ErrorCode.JOURNEY_DEFINITION_INVALID)


def _targets(tile: Tile) -> list[tuple[str, str | None]]:
    """(attribute path, tile id) for every tile this one leads to."""
    if isinstance(tile, ConditionTile):
        return [("yes", tile.yes), ("no", tile.no)]
    if isinstance(tile, SplitTile):
        return [(f"branches[{i}].next", item.next) for i, item in enumerate(tile.branches)]
    if isinstance(tile, EndTile):
        return []
    return [("next", next_of(tile))]


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
