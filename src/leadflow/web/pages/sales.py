"""Pages of the hand-over to sales: qualify, disqualify, reactivate, recycle and accept
from the lead's process panel; the queues; the caller's notifications."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from leadflow.errors import LeadflowError
from leadflow.sales import services as sales
from leadflow.users.domain import Permission, Role, role_allows
from leadflow.users.services import Principal
from leadflow.web.auth import Authorize, container_of
from leadflow.web.calls import PageCall, page_call, see_other
from leadflow.web.pages.lead_actions import back_to_process, refused_at, run_lead_action
from leadflow.web.pages.lookups import titles_by_id, users_with_role
from leadflow.web.pages.render import render

router = APIRouter(include_in_schema=False)
qualifying = page_call(Permission.LEADS_QUALIFY)
assigning = page_call(Permission.LEADS_ASSIGN)
signed_in_post = page_call(None)
can_read_tasks = Depends(Authorize(Permission.TASKS_READ))
signed_in = Depends(Authorize(None))


# --- Posted from the lead's process panel ----------------------------------------------------


@router.post("/leads/{lead_id:int}/qualify")
def qualify(lead_id: int, call: PageCall = qualifying) -> Response:
    options = sales.QualifyOptions(
        create_opportunity=bool(call.form.get("create_opportunity")),
        use_or_create_contact=bool(call.form.get("use_or_create_contact")),
        use_or_create_account=bool(call.form.get("use_or_create_account")),
    )

    def qualified(result: sales.Qualified) -> Response:
        if result.opportunity_id is not None:
            return see_other(f"/opportunities/{result.opportunity_id}")
        return back_to_process(lead_id, pdone="The lead is qualified.")

    return call.run(
        lambda uow: sales.do_qualify_lead(
            lead_id, uow=uow, options=options, by_user_id=call.user_id
        ),
        done=qualified,
        failed=refused_at(lead_id),
    )


@router.post("/leads/{lead_id:int}/disqualify")
def disqualify(lead_id: int, call: PageCall = qualifying) -> Response:
    reason = call.text("status_reason")
    return run_lead_action(
        call,
        lead_id,
        lambda uow: sales.do_disqualify_lead(lead_id, reason, uow=uow, by_user_id=call.user_id),
        "The lead is disqualified.",
    )


@router.post("/leads/{lead_id:int}/reactivate")
def reactivate(lead_id: int, call: PageCall = qualifying) -> Response:
    return run_lead_action(
        call,
        lead_id,
        lambda uow: sales.do_reactivate_lead(lead_id, uow=uow, by_user_id=call.user_id),
        "The lead is open again.",
    )


@router.post("/leads/{lead_id:int}/recycle")
def recycle(lead_id: int, call: PageCall = qualifying) -> Response:
    reason = call.text("reason")
    return run_lead_action(
        call,
        lead_id,
        lambda uow: sales.do_recycle_lead(lead_id, reason, uow=uow, by_user_id=call.user_id),
        "The lead went back to marketing.",
    )


@router.post("/leads/{lead_id:int}/accept")
def accept(lead_id: int, call: PageCall = assigning) -> Response:
    """Assign and accept; from the queues page (`back=queues`) the answer goes back there."""
    chosen = call.text("user_id")
    user_id = int(chosen) if chosen.isdigit() else None
    if call.text("back") != "queues":
        return run_lead_action(
            call,
            lead_id,
            lambda uow: sales.do_accept_lead(lead_id, user_id, uow=uow, by_user_id=call.user_id),
            "Assigned and accepted.",
        )

    def refused(exc: LeadflowError) -> Response:
        return see_other(f"/queues?{urlencode({'error': exc.message, 'lead': lead_id})}")

    return call.run(
        lambda uow: sales.do_accept_lead(lead_id, user_id, uow=uow, by_user_id=call.user_id),
        done="/queues?done=accepted",
        failed=refused,
    )


# --- Queues and notifications ----------------------------------------------------------------


@router.get("/queues")
def queues(request: Request, principal: Principal = can_read_tasks) -> Response:
    raw_lead = request.query_params.get("lead", "")
    refused_lead = int(raw_lead) if raw_lead.isdigit() and len(raw_lead) <= 18 else None
    with container_of(request).read_session() as session:
        # A refused action names its lead by its title (a deleted lead: none).
        refused_title = (
            titles_by_id(session, "lead", [refused_lead]).get(refused_lead)
            if refused_lead is not None
            else None
        )
        context = {
            "queues": [
                (key, label, sales.queue_items(session, key))
                for key, label in sales.QUEUE_LABELS.items()
            ],
            "salespeople": users_with_role(session, Role.SALESPERSON),
            "can_assign": role_allows(principal.role, Permission.LEADS_ASSIGN),
            "notifications": sales.notifications(session, principal.user_id, limit=10),
            "unread": sales.unread_count(session, principal.user_id),
            "error": request.query_params.get("error"),
            "error_lead": (refused_lead, refused_title) if refused_title else None,
            "done": request.query_params.get("done"),
        }
    return render(request, "process/queues.html", context)


@router.get("/notifications")
def notifications(request: Request, principal: Principal = signed_in) -> Response:
    with container_of(request).read_session() as session:
        items = sales.notifications(session, principal.user_id, limit=100)
        unread = sales.unread_count(session, principal.user_id)
        # Each notification links its lead by the lead's title (a deleted lead: none).
        lead_titles = titles_by_id(session, "lead", {n.lead_id for n in items if n.lead_id})
    context = {"items": items, "unread": unread, "lead_titles": lead_titles}
    return render(request, "sales/notifications.html", context)


@router.post("/notifications/read")
def read_notifications(call: PageCall = signed_in_post) -> Response:
    call.write(lambda uow: sales.do_mark_read(call.user_id, uow=uow))
    return see_other("/notifications")
