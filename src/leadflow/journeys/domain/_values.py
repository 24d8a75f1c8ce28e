"""The journey engine's values: positions, stimuli, commands, a step's result."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from leadflow.journeys.schemas import ConditionTile

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
