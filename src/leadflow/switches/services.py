"""Reading and changing org switches and settings."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from leadflow.db.uow import UnitOfWork, in_own_transaction
from leadflow.errors import ErrorCode, NotFound, ValidationFailed
from leadflow.lib.clock import utcnow
from leadflow.switches.domain import SETTINGS, SWITCHES, SettingDef, SwitchDef
from leadflow.switches.events import SettingChanged, SwitchChanged
from leadflow.switches.models import OrgSetting, OrgSwitch


def _definition(key: str) -> SwitchDef:
    definition = SWITCHES.get(key)
    if definition is None:
        raise NotFound(f"No switch named '{key}'", field="key")
    return definition


def switch_is_on(session: Session, key: str) -> bool:
    definition = _definition(key)
    stored = session.scalar(select(OrgSwitch.enabled).where(OrgSwitch.key == key))
    return definition.default if stored is None else bool(stored)


def all_switches(session: Session) -> list[tuple[SwitchDef, bool]]:
    stored = {
        key: enabled for key, enabled in session.execute(select(OrgSwitch.key, OrgSwitch.enabled))
    }
    return [
        (definition, bool(stored.get(key, definition.default)))
        for key, definition in sorted(SWITCHES.items())
    ]


def set_switch(key: str, enabled: bool, *, uow: UnitOfWork) -> None:
    _definition(key)
    row = uow.session.get(OrgSwitch, key)
    if row is None:
        uow.session.add(OrgSwitch(key=key, enabled=enabled, updated_at=utcnow()))
    elif row.enabled != enabled:
        row.enabled = enabled
        row.updated_at = utcnow()
    else:
        return
    uow.session.flush()
    uow.publish(SwitchChanged(key=key, enabled=enabled))


def _setting_definition(key: str) -> SettingDef:
    definition = SETTINGS.get(key)
    if definition is None:
        raise NotFound(f"No setting named '{key}'", field="key")
    return definition


# Values read in a session, kept for its life: a submission reads the default phone
# region for its contact, its lead and their match keys, and a session is one unit of work.
_SESSION_CACHE = "leadflow.org_settings"


def setting_value(session: Session, key: str) -> str | None:
    """The setting's stored value, or its default."""
    definition = _setting_definition(key)
    cache: dict[str, str | None] = session.info.setdefault(_SESSION_CACHE, {})
    if key not in cache:
        stored = session.scalar(select(OrgSetting.value).where(OrgSetting.key == key))
        cache[key] = definition.default if stored is None else stored
    return cache[key]


def all_settings(session: Session) -> list[tuple[SettingDef, str | None]]:
    stored = {
        key: value for key, value in session.execute(select(OrgSetting.key, OrgSetting.value))
    }
    return [
        (definition, stored.get(key, definition.default))
        for key, definition in sorted(SETTINGS.items())
    ]


def set_setting(key: str, value: str | None, *, uow: UnitOfWork) -> str | None:
    """Check and store a setting's value; empty clears it back to the default.

    Returns the value now in force. A value the setting refuses raises ValidationFailed
    (field `value`) and changes nothing.
    """
    definition = _setting_definition(key)
    uow.session.info.pop(_SESSION_CACHE, None)
    text = (value or "").strip()
    if text:
        try:
            text = definition.clean(text)
        except ValueError as exc:
            raise ValidationFailed(
                str(exc), field="value", extra={"key": key}, code=ErrorCode.SWITCH_VALUE_INVALID
            ) from None
    row = uow.session.get(OrgSetting, key)
    if not text:
        if row is None:
            return definition.default
        uow.session.delete(row)
    elif row is None:
        uow.session.add(OrgSetting(key=key, value=text, updated_at=utcnow()))
    elif row.value != text:
        row.value = text
        row.updated_at = utcnow()
    else:
        return text
    uow.session.flush()
    uow.publish(SettingChanged(key=key, value=text or None))
    return text or definition.default


# Use cases: what faces call. Each opens the unit of work (or joins the one its
# face holds open to render), runs the step above and commits.


do_set_switch = in_own_transaction(set_switch)
do_set_setting = in_own_transaction(set_setting)


def do_set_settings(values: Mapping[str, str | None], *, uow: UnitOfWork) -> None:
    """Store several settings together: a value one of them refuses saves none.

    The ValidationFailed of a refused value names its setting in `extra["key"]`.
    """
    with uow:
        for key, value in values.items():
            set_setting(key, value, uow=uow)
        uow.commit()
