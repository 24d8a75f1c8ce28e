"""Pure rules of activities: the kinds, the closed set of call outcomes."""

from __future__ import annotations

from enum import StrEnum


class ActivityKind(StrEnum):
    CALL = "call"
    NOTE = "note"


class CallOutcome(StrEnum):
    """What came of a call; `label` is how people read it."""

    REACHED = "reached"
    LEFT_VOICEMAIL = "left_voicemail"
    NO_ANSWER = "no_answer"
    CALL_BACK_LATER = "call_back_later"
    WRONG_NUMBER = "wrong_number"
    NOT_INTERESTED = "not_interested"

    @property
    def label(self) -> str:
        return OUTCOME_LABELS[self]


OUTCOME_LABELS = {
    CallOutcome.REACHED: "Reached",
    CallOutcome.LEFT_VOICEMAIL: "Left a voicemail",
    CallOutcome.NO_ANSWER: "No answer",
    CallOutcome.CALL_BACK_LATER: "Call back later",
    CallOutcome.WRONG_NUMBER: "Wrong number",
    CallOutcome.NOT_INTERESTED: "Not interested",
}

# The interaction a logged call records for the contact, so scoring rules can use it.
CALL_INTERACTION_KIND = "call_logged"
MAX_NOTES = 10_000
