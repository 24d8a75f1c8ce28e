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
from sqlalchemy.orm import Session

from leadflow.automation.actions import ActionContext, action
from leadflow.automation.builtin import builtin_rule
from leadflow.db.uow import UnitOfWork, in_own_transaction
from leadflow.errors import NotFound
from leadflow.jobs import services as jobs
from leadflow.jobs.domain import JobStatus
from leadflow.jobs.services import start_job
from leadflow.leads.models import Lead
from leadflow.leads.services import update_lead

if TYPE_CHECKING:
    from leadflow.jobs.context import JobContext
    from leadflow.jobs.models import Job

ORPHAN_RULE_KEY = "c8.orphan_leads_get_contacts"
BACKFILL_JOB = "automation.backfill_orphans"
BACKFILL_BATCH = 200
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


def count_orphans(session: Session, *, after: int = 0) -> int:
    """Leads without a parent contact (with an id above `after`)."""
    return int(
        session.scalar(
            select(func.count())
            .select_from(Lead)
            .where(Lead.parent_contact_id.is_(None), Lead.id > after)
        )
        or 0
    )


def start_orphan_backfill(*, uow: UnitOfWork, requested_by: int | None = None) -> Job:
    """Start the backfill of every existing orphan lead: a job, queued after commit."""
    return start_job(BACKFILL_JOB, {}, uow=uow, requested_by=requested_by)


do_start_orphan_backfill = in_own_transaction(start_orphan_backfill)


def backfill_orphans(context: JobContext, params: Mapping[str, Any]) -> dict[str, int]:
    """The body of the backfill: link every existing orphan lead, a batch per
    transaction that also saves the checkpoint (the last lead id), so a resumed
    run continues after the last committed batch."""
    container = context.container
    raw_batch = params.get("batch_size")
    batch = raw_batch if isinstance(raw_batch, int) and raw_batch > 0 else BACKFILL_BATCH
    cursor = context.resume_from if isinstance(context.resume_from, dict) else {}
    last_id = int(cursor.get("last_id", 0))
    linked = int(cursor.get("linked", 0))
    skipped = int(cursor.get("skipped", 0))
    done = context.done if context.resume_from is not None else 0
    with container.read_session() as session:
        total = done + count_orphans(session, after=last_id)
    context.progress(done, total)
    while True:
        context.raise_if_cancelled()
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
                if link_orphan(lead_id, uow=uow).startswith("skipped"):
                    skipped += 1
                else:
                    linked += 1
            last_id = ids[-1]
            done += len(ids)
            context.checkpoint(
                {"last_id": last_id, "linked": linked, "skipped": skipped},
                done=done,
                total=max(total, done),
                uow=uow,
            )
            uow.commit()
    context.progress(done, done)
    return {"total": done, "linked": linked, "skipped": skipped}


# Statuses and kind as `/api/v1/automation/jobs/{id}` has always named them.
_LEGACY_STATUS = {JobStatus.SUCCEEDED.value: "done"}
_LEGACY_KIND = {BACKFILL_JOB: "backfill_orphans"}


def get_backfill_job(session: Session, job_id: int) -> Job:
    job = jobs.find_job(session, job_id)
    if job is None or job.kind != BACKFILL_JOB:
        raise NotFound(f"No job with id {job_id}", field="id")
    return job


def backfill_job_public(job: Job) -> dict[str, Any]:
    """A backfill job in the shape `/api/v1/automation/jobs/{id}` has always returned."""
    result = job.result or {}
    message = job.error or (
        f"{result['linked']} linked, {result['skipped']} skipped" if "linked" in result else ""
    )
    return {
        "id": job.id,
        "kind": _LEGACY_KIND.get(job.kind, job.kind),
        "status": _LEGACY_STATUS.get(job.status, job.status),
        "done": job.done,
        "total": job.total,
        "message": message,
        "created_at": job.created_at.isoformat(),
        "finished_at": job.finished_at.isoformat() if job.finished_at else None,
    }
