"""C8: every lead gets a contact. The shipped, off-by-default rule and its backfill.

An orphan lead (no parent contact) is matched to a contact through the contact
strategy (the org default, or the one named on the rule's action); when none
matches, a contact is created from the lead's own email, name and phone and
flagged `marketing_only`, so sales views can hide it until the lead is
qualified. The same action backfills existing orphans.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select

from leadflow.automation.actions import ActionContext, action
from leadflow.automation.builtin import builtin_rule
from leadflow.automation.models import BackgroundJob
from leadflow.db.uow import UnitOfWork
from leadflow.leads.models import Lead
from leadflow.leads.services import update_lead
from leadflow.lib.clock import utcnow

if TYPE_CHECKING:
    from leadflow.bootstrap import Container

ORPHAN_RULE_KEY = "c8.orphan_leads_get_contacts"
PERSON_FIELDS = ("email", "first_name", "last_name", "phone", "job_title")

builtin_rule(
    ORPHAN_RULE_KEY,
    "Create contacts for orphan leads",
    trigger="lead.created",
    conditions=[{"field": "lead.parent_contact_id", "op": "is_empty"}],
    actions=[{"type": "create_contact_for_orphan_lead", "marketing_only": True}],
    enabled=False,
    group="Sales-centric set-up",
    position=10,
    description=(
        "Every new lead without a parent contact gets one: matched through the contact "
        "strategy, or created from the lead's email, name and phone as a marketing-only "
        "contact, then linked."
    ),
)


def _match_contact() -> Callable[..., Any]:
    # matching is a sibling capability; it is looked up, not imported at module level,
    # so automation does not depend on capture's internals at import time.
    return importlib.import_module("leadflow.matching.services").match_contact  # type: ignore[no-any-return]


def link_orphan(
    lead_id: int, *, uow: UnitOfWork, marketing_only: bool = True, strategy_id: int | None = None
) -> str:
    lead = uow.session.get(Lead, lead_id)
    if lead is None:
        return f"skipped: lead {lead_id} is gone"
    if lead.parent_contact_id is not None:
        return f"skipped: lead {lead_id} has contact {lead.parent_contact_id}"
    values = {name: getattr(lead, name) for name in PERSON_FIELDS if getattr(lead, name)}
    if not values.get("email") and not (values.get("last_name") or values.get("first_name")):
        return f"skipped: lead {lead_id} has neither an email nor a name"
    create_values: dict[str, Any] = {**values, "marketing_only": marketing_only}
    if lead.parent_account_id is not None:
        create_values["account_id"] = lead.parent_account_id
    create_values["source"] = "orphan lead"
    outcome = _match_contact()(
        uow, values, strategy_id=strategy_id, create=True, create_values=create_values
    )
    if outcome.contact_id is None:
        return f"skipped: lead {lead_id}: {outcome.reason or 'no contact could be matched'}"
    update_lead(lead_id, {"parent_contact_id": outcome.contact_id}, uow=uow)
    verb = "created" if outcome.created else "matched"
    return f"lead {lead_id}: {verb} contact {outcome.contact_id}"


@action(
    "create_contact_for_orphan_lead",
    label="Create a contact for an orphan lead",
    params={
        "marketing_only": "Flag created contacts marketing-only (default true)",
        "strategy_id": "Contact matching strategy (default: the org's)",
    },
)
def create_contact_for_orphan_lead(context: ActionContext, params: Mapping[str, Any]) -> str:
    """Match or create the lead's contact and link it as the parent contact."""
    if context.lead_id is None:
        return "skipped: the event names no lead"
    strategy = params.get("strategy_id")
    return link_orphan(
        context.lead_id,
        uow=context.uow,
        marketing_only=params.get("marketing_only", True) not in (False, "false", "0", 0),
        strategy_id=int(strategy) if strategy not in (None, "") else None,
    )


def count_orphans(container: Container) -> int:
    with container.read_session() as session:
        return int(
            session.scalar(
                select(func.count()).select_from(Lead).where(Lead.parent_contact_id.is_(None))
            )
            or 0
        )


def backfill_orphans(
    container: Container,
    *,
    job_id: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    batch: int = 200,
) -> dict[str, int]:
    """Link every existing orphan lead, in batches of one transaction each; resumable."""
    total = count_orphans(container)
    done = linked = skipped = 0
    last_id = 0
    _job_progress(container, job_id, 0, total, "running")
    while True:
        with container.read_session() as session:
            ids = list(
                session.scalars(
                    select(Lead.id)
                    .where(Lead.parent_contact_id.is_(None), Lead.id > last_id)
                    .order_by(Lead.id)
                    .limit(batch)
                )
            )
        if not ids:
            break
        with container.uow() as uow:
            for lead_id in ids:
                outcome = link_orphan(lead_id, uow=uow)
                if outcome.startswith("skipped"):
                    skipped += 1
                else:
                    linked += 1
            uow.commit()
        last_id = ids[-1]
        done += len(ids)
        _job_progress(container, job_id, done, max(total, done), "running")
        if progress is not None:
            progress(done, max(total, done))
    _job_progress(
        container, job_id, done, max(total, done), "done", f"{linked} linked, {skipped} skipped"
    )
    return {"total": done, "linked": linked, "skipped": skipped}


def _job_progress(
    container: Container, job_id: int | None, done: int, total: int, status: str, message: str = ""
) -> None:
    if job_id is None:
        return
    with container.uow() as uow:
        job = uow.session.get(BackgroundJob, job_id)
        if job is None:
            return
        job.done, job.total, job.status = done, total, status
        if message:
            job.message = message
        if status in ("done", "failed"):
            job.finished_at = utcnow()
        uow.commit()
