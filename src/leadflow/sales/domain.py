"""The hand-over's closed sets and defaults: queues, task states, the default deadline."""

from __future__ import annotations

DEFAULT_DEADLINE_HOURS = 24.0

QUEUE_LABELS = {
    "telemarketing": "Telemarketing queue",
    "sales_acceptance": "Sales-acceptance queue",
}


class TaskStatus:
    OPEN = "open"
    DONE = "done"
    CANCELED = "canceled"
