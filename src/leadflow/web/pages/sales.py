"""Pages of the hand-over to sales: qualify, disqualify, reactivate, recycle and accept
from the lead's process panel; the queues; the caller's notifications."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from leadflow.errors import LeadflowError
from leadflow.sales import services as sales
from leadflow.users.domain import Permission, Role, role_allows
from leadflow.users.services import Principal
from leadflow.web.auth import Authorize, container_of
from leadflow.web.pages.forms import form_text
from leadflow.web.pages.lead_actions import back_to_process, run_lead_action
from leadflow.web.pages.lookups import users_with_role
from leadflow.web.pages.records import form_data
from leadflow.web.pages.render import render

router = APIRouter(include_in_schema=False)
can_qualify = Depends(Authorize(Permission.LEADS_QUALIFY))
can_assign = Depends(Authorize(Permission.LEADS_ASSIGN))
can_read_tasks = Depends(Authorize(Permission.TASKS_READ))
signed_in = Depends(Authorize(None))


# --- Posted from the lead's process panel ----------------------------------------------------


@router.post("/leads/{lead_id:int}/qualify")
def qualify(
    request: Request,
    lead_id: int,
    principal: Principal = can_qualify,
    form: FormData = Depends(form_data),
) -> Response:
    options = sales.QualifyOptions(
        create_opportunity=bool(form.get("create_opportunity")),
        use_or_create_contact=bool(form.get("use_or_create_contact")),
        use_or_create_account=bool(form.get("use_or_create_account")),
    )
    try:
        result = sales.do_qualify_lead(
            lead_id, uow=container_of(request).uow(), options=options, by_user_id=principal.user_id
        )
    except LeadflowError as exc:
        return back_to_process(lead_id, perr=exc.message, pfield=exc.field)
    if result.opportunity_id is not None:
        return RedirectResponse(f"/opportunities/{result.opportunity_id}", status_code=303)
    return back_to_process(lead_id, pdone="The lead is qualified.")


@router.post("/leads/{lead_id:int}/disqualify")
def disqualify(
    request: Request,
    lead_id: int,
    principal: Principal = can_qualify,
    form: FormData = Depends(form_data),
) -> Response:
    reason = form_text(form, "status_reason")
    return run_lead_action(
        request,
        lead_id,
        None,
        lambda uow: sales.do_disqualify_lead(
            lead_id, reason, uow=uow, by_user_id=principal.user_id
        ),
        "The lead is disqualified.",
    )


@router.post("/leads/{lead_id:int}/reactivate")
def reactivate(request: Request, lead_id: int, principal: Principal = can_qualify) -> Response:
    return run_lead_action(
        request,
        lead_id,
        None,
        lambda uow: sales.do_reactivate_lead(lead_id, uow=uow, by_user_id=principal.user_id),
        "The lead is open again.",
    )


@router.post("/leads/{lead_id:int}/recycle")
def recycle(
    request: Request,
    lead_id: int,
    principal: Principal = can_qualify,
    form: FormData = Depends(form_data),
) -> Response:
    reason = form_text(form, "reason")
    return run_lead_action(
        request,
        lead_id,
        None,
        lambda uow: sales.do_recycle_lead(lead_id, reason, uow=uow, by_user_id=principal.user_id),
        "The lead went back to marketing.",
    )


@router.post("/leads/{lead_id:int}/accept")
def accept(
    request: Request,
    lead_id: int,
    principal: Principal = can_assign,
    form: FormData = Depends(form_data),
) -> Response:
    """Assign and accept; from the queues page (`back=queues`) the answer goes back there."""
    chosen = form_text(form, "user_id")
    user_id = int(chosen) if chosen.isdigit() else None
    to_queues = form_text(form, "back") == "queues"
    try:
        sales.do_accept_lead(
            lead_id, user_id, uow=container_of(request).uow(), by_user_id=principal.user_id
        )
    except LeadflowError as exc:
        if to_queues:
            query = urlencode({"error": exc.message, "lead": lead_id})
            return RedirectResponse(f"/queues?{query}", status_code=303)
        return back_to_process(lead_id, perr=exc.message, pfield=exc.field)
    if to_queues:
        return RedirectResponse("/queues?done=accepted", status_code=303)
    return back_to_process(lead_id, pdone="Assigned and accepted.")


# --- Queues and notifications ----------------------------------------------------------------


@router.get("/queues")
def queues(request: Request, principal: Principal = can_read_tasks) -> Response:
    with container_of(request).read_session() as session:
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
            "error_lead": request.query_params.get("lead"),
            "done": request.query_params.get("done"),
        }
    return render(request, "process/queues.html", context)


@router.get("/notifications")
def notifications(request: Request, principal: Principal = signed_in) -> Response:
    with container_of(request).read_session() as session:
        items = sales.notifications(session, principal.user_id, limit=100)
        unread = sales.unread_count(session, principal.user_id)
    return render(request, "sales/notifications.html", {"items": items, "unread": unread})


@router.post("/notifications/read")
def read_notifications(request: Request, principal: Principal = signed_in) -> Response:
    sales.do_mark_read(principal.user_id, uow=container_of(request).uow())
    return RedirectResponse("/notifications", status_code=303)
