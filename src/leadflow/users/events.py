"""Events published when users change."""

from __future__ import annotations

from dataclasses import dataclass

from leadflow.bus import Event, event


@event
@dataclass(frozen=True)
class UserCreated(Event):
    """A user was added."""

    name = "user.created"
    user_id: int
    role: str
