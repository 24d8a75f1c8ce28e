"""Wires capture into a container: bus handlers (`subscribe`), defaults (`seed`)."""

from __future__ import annotations

from collections.abc import Sequence

from leadflow.bus import Delivery
from leadflow.capture.events import SubmissionAccepted
from leadflow.capture.services import do_process_submissions
from leadflow.dependencies import Dependencies


def subscribe(container: Dependencies) -> None:
    def process_accepted(deliveries: Sequence[Delivery]) -> None:
        """Every accepted submission of the batch processed at once, set-based."""
        known: dict[int, int | None] = {}
        for each in deliveries:
            accepted = each.event
            assert isinstance(accepted, SubmissionAccepted)
            known[accepted.submission_id] = accepted.known_contact_id
        do_process_submissions(known, new_uow=container.uow)

    container.bus.subscribe_batch(
        [SubmissionAccepted], process_accepted, name="capture.submissions"
    )
