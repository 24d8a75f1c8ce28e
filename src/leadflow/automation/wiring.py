"""Wires automation into a container: the engine on every event, and the shipped rules."""

from __future__ import annotations

# Imported for what they declare: set_field, the orphan-lead rule and action, the backfill task.
from leadflow.automation import actions, orphans, tasks  # noqa: F401
from leadflow.automation.engine import AutomationEngine
from leadflow.automation.events import RuleChanged
from leadflow.bus import EVENT_TYPES
from leadflow.dependencies import Dependencies


def subscribe(container: Dependencies) -> None:
    engine = AutomationEngine(
        read_session=container.read_session,
        uow=container.uow,
        registry=container.registry_cache.get,
    )
    container.bus.subscribe(RuleChanged, engine.invalidate, name="automation.invalidate")
    triggers = [event_type for event_type in EVENT_TYPES.values() if event_type is not RuleChanged]
    container.bus.subscribe_batch(triggers, engine.handle_batch, name="automation.rules")


def seed(container: Dependencies) -> None:
    from leadflow.automation.services import seed_builtin_rules

    with container.uow() as uow:
        if seed_builtin_rules(uow=uow):
            uow.commit()
