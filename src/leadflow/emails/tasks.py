"""Background work of emails: deliver after a commit queued messages, and a sweep each
minute that delivers what is due (retries, recoveries, a lost enqueue)."""

from __future__ import annotations

from typing import Any

from huey import crontab

from leadflow.queue import background


def _deliver() -> dict[str, Any]:
    from leadflow.bootstrap import current
    from leadflow.emails.delivery import deliver_pending

    return deliver_pending(current()).public()


@background("emails.deliver")
def deliver() -> dict[str, Any]:
    """Send the due messages (queued by `queue_messages`, after its commit)."""
    return _deliver()


@background("emails.sweep", schedule=crontab(minute="*"))
def sweep() -> dict[str, Any]:
    """Every minute: retries whose time has come, messages dead workers left."""
    return _deliver()
