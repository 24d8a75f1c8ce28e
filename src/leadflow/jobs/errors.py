"""Errors of jobs.

    JobCancelled        raised inside a job when its cancellation was asked for
    JobSuperseded       raised inside a job whose row another worker has claimed
    UnknownJobKind      422  no kind is declared under that name

The first two are control flow, not LeadflowErrors: the runner catches them.
"""

from __future__ import annotations

from leadflow.errors import ValidationFailed


class JobCancelled(Exception):
    """The job was asked to stop; the runner records it as cancelled."""


class JobSuperseded(Exception):
    """The sweep took the job as dead and another worker resumed it: stop without writing."""


class UnknownJobKind(ValidationFailed):
    """No job kind is declared under this name."""
