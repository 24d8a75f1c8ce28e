"""Carrying out a batch's commands: history, emails, split branches, the commands that
act (leads, fields, tasks, webhooks, actions), each in a savepoint of its own."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Row, insert
from sqlalchemy.dialects import postgresql, sqlite

from leadflow.db.uow import UnitOfWork
from leadflow.errors import LeadflowError
from leadflow.journeys import domain
from leadflow.journeys.domain import (
    AssignBranch,
    CallWebhook,
    Command,
    CreateLead,
    CreateTask,
    Record,
    RunAction,
    SendEmail,
    UpdateField,
)
from leadflow.journeys.services._commands import run_command
from leadflow.journeys.services._entry import STEPS
from leadflow.journeys.services._loading import SPLITS, Loaded
from leadflow.journeys.services._versions import Published

if TYPE_CHECKING:
    from leadflow.emails.services import MessageRequest

# The engine's log keeps the name it had as one module.
logger = logging.getLogger("leadflow.journeys.services._engine")


def exit_reason(commands: Sequence[Command]) -> str | None:
    for command in commands:
        if isinstance(command, domain.Exit):
            return command.reason
    return None


class Carrier:
    """Carries out one batch's commands and writes its history."""

    def __init__(self, uow: UnitOfWork, loaded: Loaded, now: datetime) -> None:
        self.uow = uow
        self.loaded = loaded
        self.now = now
        self.history: list[dict[str, Any]] = []
        self.messages: list[MessageRequest] = []
        self.splits: list[dict[str, Any]] = []

    def carry(self, row: Row[Any], version: Published, commands: Sequence[Command]) -> None:
        detail: dict[str, str] = {}
        for command in commands:
            if isinstance(command, Record):
                self.history.append(
                    {
                        "position_id": row.id,
                        "journey_id": row.journey_id,
                        "contact_id": row.contact_id,
                        "tile_id": command.tile_id,
                        "outcome": command.outcome.value,
                        "branch": command.branch,
                        "detail": detail.pop(command.tile_id, None),
                        "at": self.now,
                    }
                )
            elif isinstance(command, SendEmail):
                self.messages.append(self._message(row, version, command))
            elif isinstance(command, AssignBranch):
                self.splits.append(
                    {
                        "journey_id": row.journey_id,
                        "contact_id": row.contact_id,
                        "tile_id": command.tile_id,
                        "branch": command.branch,
                    }
                )
            elif isinstance(
                command, CreateLead | UpdateField | CreateTask | CallWebhook | RunAction
            ):
                detail[command.tile_id] = self._guarded(row, version, command)

    def _message(self, row: Row[Any], version: Published, command: SendEmail) -> MessageRequest:
        from leadflow.emails.services import MessageRequest

        return MessageRequest(
            template_id=command.template_id,
            contact_id=row.contact_id,
            idempotency_key=domain.message_key(
                row.journey_id, row.version, row.contact_id, row.entry_number, command.tile_id
            ),
            journey_id=row.journey_id,
            journey_tile=command.tile_id,
            minimum_consent=version.settings.minimum_consent,
        )

    def _guarded(self, row: Row[Any], version: Published, command: Command) -> str:
        """Run one command in a savepoint: its failure is recorded, not the batch's."""
        try:
            with self.uow.savepoint():
                return run_command(
                    self.uow,
                    self.loaded.journeys[row.journey_id],
                    self.loaded.contacts.get(row.contact_id),
                    version,
                    command,
                )[:300]
        except LeadflowError as exc:
            return f"failed: {exc.message}"[:300]
        except Exception as exc:  # an action's own bug must not stall every contact
            logger.exception("journey %s tile command failed", row.journey_id)
            return f"failed: {type(exc).__name__}"[:300]

    def finish(self) -> int:
        from leadflow.emails.services import queue_messages

        session = self.uow.session
        if self.splits:
            dialect = session.get_bind().dialect.name
            builder = postgresql.insert if dialect == "postgresql" else sqlite.insert
            session.execute(builder(SPLITS).on_conflict_do_nothing(), self.splits)
        queued = queue_messages(self.messages, uow=self.uow) if self.messages else 0
        if self.history:
            session.execute(insert(STEPS), self.history)
        return queued
