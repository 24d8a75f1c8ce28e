"""Pydantic models of a journey: its definition (tiles) and its settings, and the API bodies.

They type the shape; `domain.check_definition` checks the graph (every `next`
names a tile, no cycle, split percentages add up to 100) and the service checks
what lives in the database (templates, segments, registry fields), each naming
the path at fault (`definition.tiles[2].next`).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

BIGINT_HIGH = 2**63 - 1
Id = Annotated[int, Field(ge=1, le=BIGINT_HIGH)]
TileId = Annotated[str, Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_-]+$")]
Label = Annotated[str, Field(max_length=200)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TileKind(StrEnum):
    SEND_EMAIL = "send_email"
    WAIT = "wait"
    CONDITION = "condition"
    SPLIT = "split"
    CREATE_LEAD = "create_lead"
    UPDATE_FIELD = "update_field"
    CREATE_TASK = "create_task"
    WEBHOOK = "webhook"
    ACTION = "action"
    END = "end"


class CheckKind(StrEnum):
    EMAIL_OPENED = "email_opened"
    EMAIL_CLICKED = "email_clicked"
    FORM_SUBMITTED = "form_submitted"
    PAGE_VISITED = "page_visited"
    EVENT_REGISTERED = "event_registered"
    EVENT_ATTENDED = "event_attended"


class SendWindow(_Strict):
    """Weekdays (0 = Monday) and hours [start_hour, end_hour) when steps may be released."""

    weekdays: list[Annotated[int, Field(ge=0, le=6)]] = Field(
        default_factory=lambda: [0, 1, 2, 3, 4], min_length=1, max_length=7
    )
    start_hour: int = Field(default=9, ge=0, le=23)
    end_hour: int = Field(default=17, ge=1, le=24)


class InteractionCheck(_Strict):
    """One rule of an if/then tile: the contact did `kind` (of this email, link, page...)."""

    kind: CheckKind
    template_id: Id | None = Field(default=None, description="Email checks: this email only")
    url: str | None = Field(default=None, max_length=2000, description="Clicks: this link only")
    target_id: str | None = Field(
        default=None, max_length=100, description="Forms, pages, events: this one only"
    )


class _Tile(_Strict):
    id: TileId
    label: Label = ""


class SendEmailTile(_Tile):
    kind: Literal["send_email"] = "send_email"
    template_id: Id
    next: TileId | None = None


class WaitTile(_Tile):
    """Wait a duration, or until a moment; released only inside `window` when one is set."""

    kind: Literal["wait"] = "wait"
    duration_minutes: int | None = Field(default=None, ge=0, le=60 * 24 * 3660)
    until: datetime | None = None
    window: SendWindow | None = None
    next: TileId | None = None


class ConditionTile(_Tile):
    """If/then: wait for the checks (any_of: Or, else And) until the timeout (then `no`)."""

    kind: Literal["condition"] = "condition"
    any_of: bool = True
    checks: list[InteractionCheck] = Field(min_length=1, max_length=20)
    timeout_minutes: int = Field(ge=1, le=60 * 24 * 3660)
    per_account: bool = False
    yes: TileId | None = None
    no: TileId | None = None


class SplitBranch(_Strict):
    percent: int = Field(ge=1, le=99)
    next: TileId | None = None
    label: Label = ""


class SplitTile(_Tile):
    """Random split by percentage: a contact keeps its branch when it enters again."""

    kind: Literal["split"] = "split"
    branches: list[SplitBranch] = Field(min_length=2, max_length=5)


class CreateLeadTile(_Tile):
    kind: Literal["create_lead"] = "create_lead"
    create_for: Literal["contact", "account"] = "contact"
    last_name_placeholder: Label = ""
    owner_id: Id | None = Field(
        default=None, description="The lead's owner; default: the journey's"
    )
    next: TileId | None = None


class UpdateFieldTile(_Tile):
    kind: Literal["update_field"] = "update_field"
    entity: Literal["contact", "account", "lead"]
    field: str = Field(min_length=1, max_length=100, description="A registry field's name")
    value: str | None = Field(default=None, max_length=2000)
    next: TileId | None = None


class CreateTaskTile(_Tile):
    kind: Literal["create_task"] = "create_task"
    title: str = Field(min_length=1, max_length=300)
    owner: Literal["journey_owner", "lead_owner", "user"] = "journey_owner"
    user_id: Id | None = None
    due_in_days: int = Field(default=1, ge=0, le=3650)
    next: TileId | None = None


class WebhookTile(_Tile):
    kind: Literal["webhook"] = "webhook"
    url: str = Field(min_length=8, max_length=2000, pattern=r"^https?://")
    next: TileId | None = None


class ActionTile(_Tile):
    kind: Literal["action"] = "action"
    action: str = Field(min_length=1, max_length=100, description="An automation action's name")
    settings: dict[str, str] = Field(default_factory=dict)
    next: TileId | None = None


class EndTile(_Tile):
    kind: Literal["end"] = "end"


Tile = Annotated[
    SendEmailTile
    | WaitTile
    | ConditionTile
    | SplitTile
    | CreateLeadTile
    | UpdateFieldTile
    | CreateTaskTile
    | WebhookTile
    | ActionTile
    | EndTile,
    Field(discriminator="kind"),
]


class JourneyDefinition(_Strict):
    """The tiles of a journey and the one contacts enter at."""

    start: TileId
    tiles: list[Tile] = Field(min_length=1, max_length=200)

    def tile(self, tile_id: str) -> Tile:
        for item in self.tiles:
            if item.id == tile_id:
                return item
        raise KeyError(tile_id)

    def by_id(self) -> dict[str, Tile]:
        return {item.id: item for item in self.tiles}


class StartEvent(_Strict):
    """An event start: contacts enter when it happens (`id`: this form or segment only)."""

    kind: Literal["form_submitted", "segment_entered", "lead_sales_ready"]
    id: Id | None = None


class FrequencyCap(_Strict):
    """At most `messages` emails to a contact in `days` days, across every journey."""

    messages: int = Field(ge=1, le=1000)
    days: int = Field(ge=1, le=365)


class JourneySettings(_Strict):
    target: Literal["contact", "account"] = "contact"
    audience_segment_ids: list[Id] = Field(default_factory=list, max_length=20)
    audience_mode: Literal["union", "intersection"] = "union"
    exclusion_segment_ids: list[Id] = Field(default_factory=list, max_length=20)
    suppression_segment_id: Id | None = None
    start_event: StartEvent | None = None
    minimum_consent: Literal["none", "transactional", "marketing", "profiling"] | None = None
    reentry: Literal["never", "after_interval"] = "never"
    reentry_after_days: int | None = Field(default=None, ge=0, le=3650)
    reentry_cap: int | None = Field(default=None, ge=1, le=1000)
    goal: Literal["lead_sales_ready", "lead_qualified", "form_submitted"] | None = None
    send_window: SendWindow | None = None
    time_zone: str = Field(default="UTC", max_length=64)
    frequency_cap: FrequencyCap | None = None


# The API edge.


class JourneyIn(_Strict):
    name: str = Field(min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=5000)
    owner_id: Id | None = Field(default=None, description="Default: the caller")
    settings: JourneySettings = Field(default_factory=JourneySettings)
    definition: JourneyDefinition


class JourneyPatch(_Strict):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=5000)
    owner_id: Id | None = None
    settings: JourneySettings | None = None
    definition: JourneyDefinition | None = None
