"""Settings > Matching: the matching strategies of contacts and leads."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from leadflow.matching import services as matching
from leadflow.users.domain import Permission
from leadflow.users.services import Principal
from leadflow.web.auth import Authorize, container_of
from leadflow.web.calls import PageCall, page_call, see_other
from leadflow.web.pages.render import render, settings_navigation
from leadflow.web.pages.settings_forms import FormState, checked, text_of

STRATEGY_INPUTS = ("name", "target", "fields", "description", "lists_duplicates")


matching_router = APIRouter(include_in_schema=False)
can_admin = Authorize(Permission.MATCHING_ADMIN)
administering = page_call(Permission.MATCHING_ADMIN)


def matching_page(
    request: Request, principal: Principal, state: FormState, status: int = 200
) -> Response:
    container = container_of(request)
    registry = container.registry()
    with container.read_session() as session:
        strategies = matching.list_strategies(session)
    context = {
        "settings_sections": settings_navigation(principal),
        "strategies": strategies,
        "state": state,
        "labels": {
            target: {d.name: d.label for d in registry.fields_of(target)}
            for target in ("contact", "lead")
        },
        "matchable": {
            target: [(d.name, d.label) for d in registry.fields_of(target) if d.matchable]
            for target in ("contact", "lead")
        },
    }
    return render(request, "capture/matching.html", context, status=status)


@matching_router.get("/settings/matching")
def show(request: Request, principal: Principal = Depends(can_admin)) -> Response:
    return matching_page(
        request, principal, FormState({"target": "contact", "lists_duplicates": "true"})
    )


@matching_router.post("/settings/matching")
def create(call: PageCall = administering) -> Response:
    values = {name: text_of(call.form, name) for name in STRATEGY_INPUTS}
    fields = [str(value) for value in call.form.getlist("fields") if str(value)]
    data = {
        "name": values["name"],
        "target": values["target"],
        "fields": fields,
        "description": values["description"],
        "is_default": checked(call.form, "is_default"),
        "lists_duplicates": checked(call.form, "lists_duplicates"),
    }
    return call.run(
        lambda uow: matching.do_create_strategy(data, uow=uow),
        done="/settings/matching",
        failed=lambda exc: matching_page(
            call.request,
            call.principal,
            FormState.failed(values, exc, STRATEGY_INPUTS),
            exc.http_status,
        ),
    )


@matching_router.post("/settings/matching/{strategy_id:int}/default")
def make_default(strategy_id: int, call: PageCall = administering) -> Response:
    call.write(lambda uow: matching.do_update_strategy(strategy_id, {"is_default": True}, uow=uow))
    return see_other("/settings/matching")


@matching_router.post("/settings/matching/{strategy_id:int}/duplicates")
def list_duplicates(strategy_id: int, call: PageCall = administering) -> Response:
    """List (or stop listing) on the Duplicates page the records this strategy finds alike."""
    lists = text_of(call.form, "lists_duplicates") == "true"
    call.write(
        lambda uow: matching.do_update_strategy(strategy_id, {"lists_duplicates": lists}, uow=uow)
    )
    return see_other("/settings/matching")


@matching_router.post("/settings/matching/{strategy_id:int}/delete")
def delete(strategy_id: int, call: PageCall = administering) -> Response:
    return call.run(
        lambda uow: matching.do_delete_strategy(strategy_id, uow=uow),
        done="/settings/matching",
        failed=lambda exc: matching_page(
            call.request, call.principal, FormState(alert=exc.message), exc.http_status
        ),
    )
