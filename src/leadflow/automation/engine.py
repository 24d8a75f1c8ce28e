"""The engine: on every event, the enabled rules for it whose conditions hold run their actions.

Events arrive in batches; conditions are read for the whole batch in one
session. Each firing runs in its own unit of work and is logged (done, failed)
with the event's outbox id, which a unique index makes fire once however often
the event is delivered. A failing rule is rolled back and logged; the other
rules still run, and the event is not retried for it (webhooks retry on their
own). Rules that trigger each other are stopped by the outbox's cascade depth.
Rules are cached per process and reloaded when a RuleChanged event arrives or
after a few seconds, so several API and worker processes converge quickly.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from leadflow.automation.actions import ACTIONS, ActionContext
from leadflow.automation.domain import conditions_hold
from leadflow.automation.models import AutomationRule, RuleRun
from leadflow.bus import EVENT_TYPES, Delivery, Event
from leadflow.db.uow import UnitOfWork
from leadflow.errors import LeadflowError
from leadflow.lib.clock import utcnow
from leadflow.records.lookup import find_record
from leadflow.records.values import to_public
from leadflow.registry.domain import Registry

logger = logging.getLogger(__name__)

RULES_TTL_SECONDS = 5.0


@dataclass(frozen=True)
class RuleSnapshot:
    id: int
    key: str
    name: str
    match: str
    conditions: tuple[Mapping[str, Any], ...]
    actions: tuple[Mapping[str, Any], ...]
    secret: str


class Facts(Mapping[str, Any]):
    """`event.*` at once; `lead.*`, `contact.*`, `account.*` read on first use."""

    def __init__(self, session: Session, registry: Registry, event: Event) -> None:
        self._session = session
        self._registry = registry
        self._values: dict[str, Any] = {
            f"event.{key}": value for key, value in event.to_payload().items()
        }
        self._event = event
        self._loaded: set[str] = {"event"}

    def _put(self, entity: str, row: Any) -> None:
        if row is None:
            return
        for key, value in to_public(row, self._registry, entity).items():
            if key == "custom" and isinstance(value, dict):
                for name, custom_value in value.items():
                    self._values[f"{entity}.{name}"] = custom_value
            else:
                self._values[f"{entity}.{key}"] = value

    def _load(self, source: str) -> None:
        if source in self._loaded:
            return
        self._loaded.add(source)
        if source == "lead":
            lead_id = getattr(self._event, "lead_id", None)
            if lead_id is not None:
                self._put("lead", find_record(self._session, "lead", lead_id))
        elif source == "contact":
            contact_id = getattr(self._event, "contact_id", None)
            if contact_id is None:
                self._load("lead")
                contact_id = self._values.get("lead.parent_contact_id")
            if contact_id is not None:
                self._put("contact", find_record(self._session, "contact", contact_id))
        elif source == "account":
            self._load("lead")
            account_id = self._values.get("lead.parent_account_id")
            if account_id is None:
                self._load("contact")
                account_id = self._values.get("contact.account_id")
            if account_id is not None:
                self._put("account", find_record(self._session, "account", account_id))

    def __getitem__(self, key: str) -> Any:
        self._load(key.partition(".")[0])
        return self._values[key]

    def get(self, key: str, default: Any = None) -> Any:
        try:
            return self[key]
        except KeyError:
            return default

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def snapshot(self) -> dict[str, Any]:
        return dict(self._values)


class AutomationEngine:
    """Runs the rules; handed what it needs by automation's wiring: a read session, a unit
    of work, and the field registry of a session."""

    def __init__(
        self,
        *,
        read_session: Callable[[], Session],
        uow: Callable[[], UnitOfWork],
        registry: Callable[[Session], Registry],
    ) -> None:
        self._read_session = read_session
        self._uow = uow
        self._registry = registry
        self._lock = threading.Lock()
        self._rules: dict[str, list[RuleSnapshot]] | None = None
        self._loaded_at = 0.0

    def invalidate(self, _event: Event | None = None) -> None:
        with self._lock:
            self._rules = None

    def rules_for(self, trigger: str) -> list[RuleSnapshot]:
        with self._lock:
            stale = time.monotonic() - self._loaded_at > RULES_TTL_SECONDS
            if self._rules is None or stale:
                self._rules = self._load_rules()
                self._loaded_at = time.monotonic()
            return self._rules.get(trigger, [])

    def _load_rules(self) -> dict[str, list[RuleSnapshot]]:
        by_trigger: dict[str, list[RuleSnapshot]] = {}
        with self._read_session() as session:
            rows = session.scalars(
                select(AutomationRule)
                .where(AutomationRule.enabled.is_(True))
                .order_by(AutomationRule.position, AutomationRule.id)
            )
            for row in rows:
                by_trigger.setdefault(row.trigger, []).append(
                    RuleSnapshot(
                        row.id,
                        row.key,
                        row.name,
                        row.match,
                        tuple(row.conditions or ()),
                        tuple(row.actions or ()),
                        row.secret,
                    )
                )
        return by_trigger

    def handle_batch(self, deliveries: Sequence[Delivery]) -> None:
        """Run the rules of every event in the batch, in the order the events came (an
        event about many records: of each record's event, in turn)."""
        firings: list[tuple[Delivery, RuleSnapshot, dict[str, Any]]] = []
        with self._read_session() as session:
            registry = self._registry(session)
            for delivery in deliveries:
                stands_for = type(delivery.event).stands_for
                rules = self.rules_for((stands_for or type(delivery.event)).name)
                if not rules:
                    # Most events have no rule: an event about many records is not
                    # taken apart for nothing.
                    continue
                for each in _per_record(delivery):
                    facts = Facts(session, registry, each.event)
                    for rule in rules:
                        if conditions_hold(rule.conditions, facts, rule.match):
                            firings.append((each, rule, facts.snapshot()))
            fired = self._already_fired(session, firings)
        for each, rule, known in firings:
            if (rule.id, each.id, each.part) not in fired:
                self._run(rule, each, known)

    def handle(self, event: Event) -> None:
        """One event outside the outbox (tests, scripts): no redelivery to guard against."""
        self.handle_batch([Delivery(0, event)])

    @staticmethod
    def _already_fired(
        session: Session, firings: list[tuple[Delivery, RuleSnapshot, dict[str, Any]]]
    ) -> set[tuple[int, int, int]]:
        event_ids = {each.id for each, _rule, _facts in firings if each.id}
        if not event_ids:
            return set()
        rows = session.execute(
            select(RuleRun.rule_id, RuleRun.event_id, RuleRun.event_part).where(
                RuleRun.event_id.in_(event_ids)
            )
        ).all()
        return {
            (rule_id, event_id, part) for rule_id, event_id, part in rows if event_id is not None
        }

    def _run(self, rule: RuleSnapshot, delivery: Delivery, facts: dict[str, Any]) -> None:
        event = delivery.event
        event_id = delivery.id or None
        subject = _subject(event)
        try:
            with self._uow() as uow:
                context = ActionContext(
                    uow=uow,
                    event=event,
                    rule_key=rule.key,
                    facts=facts,
                    rule_id=rule.id,
                    rule_secret=rule.secret,
                )
                outcomes = []
                for item in rule.actions:
                    definition = ACTIONS.get(str(item.get("type")))
                    if definition is None:
                        raise LeadflowError(f"unknown action '{item.get('type')}'")
                    outcomes.append(definition.run(context, item))
                uow.session.add(
                    RuleRun(
                        rule_id=rule.id,
                        event_name=event.name,
                        subject=subject,
                        status="done",
                        message="; ".join(outcomes),
                        ran_at=utcnow(),
                        event_id=event_id,
                        event_part=delivery.part,
                    )
                )
                uow.commit()
        except Exception as exc:
            logger.warning("automation rule %s failed on %s: %s", rule.key, event.name, exc)
            message = exc.message if isinstance(exc, LeadflowError) else repr(exc)
            with self._uow() as uow:
                uow.session.add(
                    RuleRun(
                        rule_id=rule.id,
                        event_name=event.name,
                        subject=subject,
                        status="failed",
                        message=message[:2000],
                        ran_at=utcnow(),
                        event_id=event_id,
                        event_part=delivery.part,
                    )
                )
                try:
                    uow.commit()
                except IntegrityError:
                    # Another delivery of this event logged the firing first.
                    uow.rollback()


def _per_record(delivery: Delivery) -> Sequence[Delivery]:
    """An event about many records as one delivery per record's event (each logged as
    the row's `part`, from 1, so a redelivery fires each record's rules once)."""
    if type(delivery.event).stands_for is None:
        return (delivery,)
    return [
        Delivery(delivery.id, part, delivery.depth, part=index)
        for index, part in enumerate(delivery.event.parts(), start=1)
    ]


def _subject(event: Event) -> str | None:
    for name in ("lead_id", "contact_id", "account_id", "opportunity_id"):
        value = getattr(event, name, None)
        if value is not None:
            return f"{name.removesuffix('_id')}:{value}"
    return None


def triggers() -> list[str]:
    """Every event name a rule can react to."""
    return sorted(
        name
        for name, event_type in EVENT_TYPES.items()
        if not name.startswith("automation.") and event_type.stands_for is None
    )
