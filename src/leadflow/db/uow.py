"""Unit of work: one transaction, the events it publishes, and what follows its commit."""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType
from typing import Self

from sqlalchemy import insert
from sqlalchemy.orm import Session, sessionmaker

from leadflow.bus import Event
from leadflow.outbox import OutboxMessage, event_subject, outbox_rows
from leadflow.registry.domain import Registry


class UnitOfWork:
    """`with uow: ...; uow.commit()`: the only way services write.

    Events published during the unit are inserted into the outbox in the same
    transaction; after the commit `after_commit` learns their rows (it wakes the
    relay), so handlers never see a change that was rolled back.
    """

    session: Session

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        *,
        registry: Callable[[Session], Registry],
        after_commit: Callable[[list[int], set[str]], None] | None = None,
    ) -> None:
        self._session_factory = session_factory
        self._registry_loader = registry
        self._after_commit = after_commit
        self._events: list[Event] = []
        self._registry: Registry | None = None

    def __enter__(self) -> Self:
        self.session = self._session_factory()
        self._events = []
        self._registry = None
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.session.rollback()
        self.session.close()

    @property
    def registry(self) -> Registry:
        if self._registry is None:
            self._registry = self._registry_loader(self.session)
        return self._registry

    def publish(self, *events: Event) -> None:
        self._events.extend(events)

    def commit(self) -> None:
        outbox_ids: list[int] = []
        events = self._events
        if events:
            result = self.session.execute(
                insert(OutboxMessage).returning(OutboxMessage.id, sort_by_parameter_order=True),
                outbox_rows(events),
            )
            outbox_ids = list(result.scalars())
        self.session.commit()
        self._events = []
        if outbox_ids and self._after_commit is not None:
            subjects = {subject for item in events if (subject := event_subject(item))}
            self._after_commit(outbox_ids, subjects)

    def rollback(self) -> None:
        self.session.rollback()
        self._events = []
