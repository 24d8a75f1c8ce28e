"""Events of the org switches."""

from __future__ import annotations

from dataclasses import dataclass

from leadflow.bus import Event, event


@event
@dataclass(frozen=True)
class SwitchChanged(Event):
    name = "org.switch_changed"
    key: str
    enabled: bool


@event
@dataclass(frozen=True)
class SettingChanged(Event):
    name = "org.setting_changed"
    key: str
    value: str | None
