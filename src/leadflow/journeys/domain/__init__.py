"""The journey engine's pure rules: `step(definition, position, stimulus, now, context)`.

A journey is data (`schemas.JourneyDefinition`); a contact's place in it is a
`Position` (the tile it stands on, when it is due, and the tile's own state: when
it arrived, which checks matched). `step` moves one position on from one stimulus
(the time came, an interaction happened, the contact must leave) as far as it can
go without waiting, and returns the new position with the commands the service
layer carries out (send an email, create a lead...) and the history it records.
No database, no clock, no I/O: the caller loads what `context` holds and passes `now`.

`_values` holds the positions, stimuli and commands, `_step` the walk, `_rules` its
small rules (windows, splits, checks), `_checks` the checks of a definition.
"""

from leadflow.journeys.domain._checks import check_can_go_live, check_definition, check_settings
from leadflow.journeys.domain._rules import (
    check_matches,
    consent_levels_from,
    message_key,
    pick_branch,
    since_entry,
    split_draw,
    window_opening,
    zone,
)
from leadflow.journeys.domain._step import enter, step
from leadflow.journeys.domain._values import (
    ACTIVE,
    CONSENT_ORDER,
    EMAIL_KINDS,
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

__all__ = [
    "ACTIVE",
    "CONSENT_ORDER",
    "EMAIL_KINDS",
    "MAX_TILES_PER_STEP",
    "AssignBranch",
    "CallWebhook",
    "Command",
    "ContactContext",
    "CreateLead",
    "CreateTask",
    "Exit",
    "Leave",
    "Observed",
    "Outcome",
    "Position",
    "PositionStatus",
    "Record",
    "RunAction",
    "SendEmail",
    "StepResult",
    "Stimulus",
    "TimeCame",
    "UpdateField",
    "check_can_go_live",
    "check_definition",
    "check_matches",
    "check_settings",
    "consent_levels_from",
    "enter",
    "message_key",
    "pick_branch",
    "since_entry",
    "split_draw",
    "step",
    "window_opening",
    "zone",
]
