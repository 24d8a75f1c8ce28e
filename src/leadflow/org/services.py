"""Reading and flipping org switches."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from leadflow.db.uow import UnitOfWork
from leadflow.errors import NotFound
from leadflow.lib.clock import utcnow
from leadflow.org.domain import SWITCHES, SwitchDef
from leadflow.org.events import SwitchChanged
from leadflow.org.models import OrgSwitch


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
