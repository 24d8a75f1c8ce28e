"""Demo additions: leads moved through the business process and handed over to sales."""

from __future__ import annotations

from leadflow.bootstrap import Container
from leadflow.demo.dataset import DemoLoaded
from leadflow.errors import LeadflowError
from leadflow.leads.models import Lead
from leadflow.leads.services import update_lead
from leadflow.process import domain
from leadflow.process import services as process
from leadflow.sales import services as sales
from leadflow.users.domain import Role
from leadflow.users.services import update_user


def extend(container: Container, loaded: DemoLoaded) -> list[str]:
    """Every open lead gets its process; a slice is moved along each path of the process."""
    seller = loaded.users.get(Role.SALESPERSON)
    manager = loaded.users.get(Role.SALES_MANAGER)
    with container.uow() as uow:
        open_ids = [
            lead_id
            for lead_id in loaded.lead_ids
            if (lead := uow.session.get(Lead, lead_id)) is not None and lead.status == "open"
        ]
        for lead_id in open_ids:
            process.start_instance(lead_id, uow=uow)
        if seller is not None:
            update_user(seller, {"capacity": 25}, uow=uow)
        uow.commit()
    sample = open_ids[:40]
    telemarketing, sales_ready = sample[0:12], sample[12:24]
    moved = 0
    for index, lead_id in enumerate(telemarketing):
        with container.uow() as uow:
            changes: dict[str, object] = {"telemarketing_ready": True}
            if index % 3 == 0:
                changes["telemarketing_accepted"] = True
            update_lead(lead_id, changes, uow=uow)
            uow.commit()
            moved += 1
    for lead_id in sales_ready:
        with container.uow() as uow:
            update_lead(lead_id, {"sales_ready": True}, uow=uow)
            uow.commit()
            moved += 1
    handed: list[str] = []
    try:
        if seller is not None and len(sales_ready) >= 4:
            with container.uow() as uow:
                sales.accept_lead(sales_ready[0], seller, uow=uow, by_user_id=manager)
                sales.accept_lead(sales_ready[1], None, uow=uow, by_user_id=manager)
                uow.commit()
            with container.uow() as uow:
                # The core demo already has its opportunities (its counts are checked):
                # this qualification links the lead's own contact and account only.
                result = sales.qualify_lead(
                    sales_ready[0],
                    uow=uow,
                    by_user_id=seller,
                    options=sales.QualifyOptions(False, False, False),
                )
                sales.recycle_lead(
                    sales_ready[2], "No budget before next year", uow=uow, by_user_id=seller
                )
                sales.disqualify_lead(sales_ready[3], "no_longer_interested", uow=uow)
                uow.commit()
            handed.append(
                f"Hand-over: lead {result.lead_id} accepted and qualified; one accepted by "
                "round-robin, one recycled, one disqualified"
            )
    except LeadflowError as exc:
        handed.append(f"Hand-over demo skipped: {exc.message}")
    with container.read_session() as session:
        counts = process.stage_counts(session, domain.DEFAULT_PROCESS_KEY)
        queues = {key: len(sales.queue_items(session, key)) for key in sales.QUEUE_LABELS}
    per_stage = ", ".join(f"{stage} {count}" for stage, count in sorted(counts.items()))
    return [
        f"Process: {len(open_ids)} open leads in the default process ({per_stage}); "
        f"{moved} moved by ticks",
        f"Queues: {queues['telemarketing']} in telemarketing, "
        f"{queues['sales_acceptance']} awaiting sales acceptance",
        *handed,
    ]
