"""Events published by capture."""

from __future__ import annotations

from dataclasses import dataclass

from leadflow.bus import Event, event


@event
@dataclass(frozen=True)
class SubmissionAccepted(Event):
    """A form submission passed validation and waits to be processed (matched, its
    contact, lead and interaction written) by the relay's `capture.submissions` batch.

    `known_contact_id` is the visitor the landing page recognised (its cookie): an
    only-leads form makes that contact the lead's parent.
    """

    name = "capture.submission_accepted"
    submission_id: int
    known_contact_id: int | None = None
