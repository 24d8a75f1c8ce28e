"""The commands of a step that write beyond the journey: leads, fields, tasks, webhooks
and automation actions, each through its own concept's services (REFERENCE 5.2 for leads).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Table, select, update
from sqlalchemy.dialects import postgresql, sqlite

from leadflow.bus import Event, event
from leadflow.db.uow import UnitOfWork
from leadflow.journeys.domain import (
    CallWebhook,
    Command,
    CreateLead,
    CreateTask,
    RunAction,
    UpdateField,
)
from leadflow.journeys.models import JourneyAccountLead
from leadflow.journeys.services._versions import Published
from leadflow.lib.clock import utcnow
from leadflow.registry.sql import table_for

ACCOUNT_LEADS = cast(Table, JourneyAccountLead.__table__)


@event
@dataclass(frozen=True)
class JourneyActionRequested(Event):
    """A journey's webhook or action tile ran for a contact (the actions' triggering event)."""

    name = "journey.action_requested"
    journey_id: int
    contact_id: int
    tile_id: str
    lead_id: int | None = None


def _lead_of(uow: UnitOfWork, contact_id: int, journey_id: int) -> Any:
    """The contact's lead a task or a field update applies to: the one this journey
    made if any, else its most recent open lead."""
    from leadflow.leads.models import Lead

    return uow.session.scalar(
        select(Lead)
        .where(Lead.parent_contact_id == contact_id, Lead.merged_into_id.is_(None))
        .order_by(
            (Lead.journey_id == journey_id).desc(), (Lead.status == "open").desc(), Lead.id.desc()
        )
        .limit(1)
    )


def run_command(
    uow: UnitOfWork, journey: Any, contact: Any, version: Published, command: Command
) -> str:
    """Carry out one command of a step for a contact; a short outcome for its history.

    `journey` and `contact` are rows (id, name, owner_id; id, account_id, names, email).
    """
    if contact is None:
        return "skipped: the contact is gone"
    if isinstance(command, CreateLead):
        return _create_lead(uow, journey, contact, version, command)
    if isinstance(command, UpdateField):
        return _update_field(uow, journey, contact, command)
    if isinstance(command, CreateTask):
        from leadflow.sales import services as sales

        lead = _lead_of(uow, contact.id, journey.id)
        if lead is None:
            return "skipped: the contact has no lead"
        owner = {
            "journey_owner": journey.owner_id,
            "lead_owner": lead.owner_id or journey.owner_id,
            "user": command.user_id,
        }[command.owner]
        if owner is None:
            return "skipped: nobody to own the task"
        task = sales.create_task(
            lead.id,
            uow=uow,
            owner_id=owner,
            title=command.title,
            hours=max(command.due_in_days, 0) * 24.0 or 1.0,
            rule=f"journey:{journey.id}:{command.tile_id}",
        )
        return f"task {task.id}"
    if isinstance(command, CallWebhook | RunAction):
        return _run_action(uow, journey, contact, command)
    return "skipped"


def _create_lead(
    uow: UnitOfWork, journey: Any, contact: Any, version: Published, command: CreateLead
) -> str:
    """REFERENCE 5.2: always a new lead (never matched); an account journey creating for
    the account makes one lead per account for the journey's life."""
    from leadflow.leads.services import create_lead

    values: dict[str, Any] = {
        "source": "journey",
        "journey_id": journey.id,
        "campaign": journey.name[:200],
        "owner_id": command.owner_id or journey.owner_id,
        "topic": f"{journey.name}"[:300],
    }
    per_account = version.settings.target == "account" and command.create_for == "account"
    if per_account:
        if contact.account_id is None:
            return "skipped: the contact has no account"
        session = uow.session
        dialect = session.get_bind().dialect.name
        builder = postgresql.insert if dialect == "postgresql" else sqlite.insert
        claimed = session.execute(
            builder(ACCOUNT_LEADS)
            .values(journey_id=journey.id, account_id=contact.account_id, created_at=utcnow())
            .on_conflict_do_nothing()
            .returning(ACCOUNT_LEADS.c.account_id)
        ).first()
        if claimed is None:
            return "skipped: the account has its lead"
        accounts = table_for("account")
        account_name = session.scalar(
            select(accounts.c.name).where(accounts.c.id == contact.account_id)
        )
        values.update(
            parent_account_id=contact.account_id,
            last_name=command.last_name_placeholder or account_name or "(account)",
            company_name=account_name,
        )
        lead = create_lead(values, uow=uow)
        session.execute(
            update(ACCOUNT_LEADS)
            .where(
                ACCOUNT_LEADS.c.journey_id == journey.id,
                ACCOUNT_LEADS.c.account_id == contact.account_id,
            )
            .values(lead_id=lead.id)
        )
        return f"lead {lead.id}"
    values.update(
        parent_contact_id=contact.id,
        first_name=contact.first_name,
        last_name=contact.last_name or command.last_name_placeholder or None,
        email=contact.email,
    )
    lead = create_lead(values, uow=uow)
    return f"lead {lead.id}"


def _update_field(uow: UnitOfWork, journey: Any, contact: Any, command: UpdateField) -> str:
    change = {command.field: command.value}
    if command.entity == "contact":
        from leadflow.contacts.services import update_contact

        update_contact(contact.id, change, uow=uow)
        return f"contact {contact.id}"
    if command.entity == "account":
        from leadflow.accounts.services import update_account

        if contact.account_id is None:
            return "skipped: the contact has no account"
        update_account(contact.account_id, change, uow=uow)
        return f"account {contact.account_id}"
    from leadflow.leads.services import update_lead

    lead = _lead_of(uow, contact.id, journey.id)
    if lead is None:
        return "skipped: the contact has no lead"
    update_lead(lead.id, change, uow=uow)
    return f"lead {lead.id}"


def _run_action(
    uow: UnitOfWork, journey: Any, contact: Any, command: CallWebhook | RunAction
) -> str:
    from leadflow.automation.actions import ACTIONS, ActionContext

    name = "call_webhook" if isinstance(command, CallWebhook) else command.action
    params: Mapping[str, Any] = (
        {"url": command.url} if isinstance(command, CallWebhook) else dict(command.settings)
    )
    definition = ACTIONS.get(name)
    if definition is None:
        return f"skipped: no action '{name}'"
    lead = _lead_of(uow, contact.id, journey.id)
    trigger = JourneyActionRequested(
        journey_id=journey.id,
        contact_id=contact.id,
        tile_id=command.tile_id,
        lead_id=lead.id if lead is not None else None,
    )
    context = ActionContext(
        uow=uow,
        event=trigger,
        rule_key=f"journey:{journey.id}:{command.tile_id}",
        facts={"lead.parent_contact_id": contact.id},
    )
    return definition.run(context, params)
