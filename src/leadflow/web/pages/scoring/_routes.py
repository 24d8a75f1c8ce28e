"""The scoring pages' routes: the models list, the designer's small edit forms and
the model's lifecycle buttons."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from leadflow.db.uow import UnitOfWork
from leadflow.errors import ErrorCode, LeadflowError, ValidationFailed
from leadflow.scoring import insight, services
from leadflow.scoring.switches import switches_public
from leadflow.users.domain import Permission, role_allows
from leadflow.users.services import Principal
from leadflow.web.auth import Authorize, container_of
from leadflow.web.calls import Failed, PageCall, page_call, see_other
from leadflow.web.pages.render import render
from leadflow.web.pages.scoring._designer import (
    condition_from_form,
    designer,
    error_context,
    grades_from_text,
)

router = APIRouter(include_in_schema=False)
can_read = Authorize(Permission.SCORING_READ)
administering = page_call(Permission.SCORING_ADMIN)


def _index(
    request: Request,
    principal: Principal,
    error: LeadflowError | None = None,
    status: int = 200,
) -> Response:
    container = container_of(request)
    with container.read_session() as session:
        models = [services.model_public(m) for m in services.list_models(session)]
        switches = switches_public(session)
    return render(
        request,
        "scoring/index.html",
        {
            "models": models,
            "switches": switches,
            "can_admin": role_allows(principal.role, Permission.SCORING_ADMIN),
            **error_context(error),
        },
        status=status,
    )


@router.get("/scoring")
def index(request: Request, principal: Principal = Depends(can_read)) -> Response:
    return _index(request, principal)


@router.post("/scoring/new")
def create(call: PageCall = administering) -> Response:
    data = {
        "name": call.text("name"),
        "entity_target": call.text("entity_target") or "contact",
        "description": call.text("description") or None,
    }
    return call.run(
        lambda uow: services.do_create_model(data, uow=uow),
        done=lambda row: see_other(f"/scoring/models/{row.id}"),
        failed=lambda exc: _index(call.request, call.principal, exc, status=exc.http_status),
    )


@router.post("/scoring/switches")
def switches(call: PageCall = administering) -> Response:
    keys = call.read(lambda session: [item["key"] for item in switches_public(session)])
    switched = {key: call.form.get(key) == "on" for key in keys}
    call.write(lambda uow: services.do_set_switches(switched, uow=uow))
    return see_other("/scoring")


@router.get("/scoring/models/{model_id:int}")
def show(request: Request, model_id: int, principal: Principal = Depends(can_read)) -> Response:
    return designer(request, principal, model_id)


def _refused(call: PageCall, model_id: int, form: str, status: int | None = None) -> Failed:
    def failed(exc: LeadflowError) -> Response:
        return designer(
            call.request,
            call.principal,
            model_id,
            error=exc,
            form=form,
            status=status or exc.http_status,
        )

    return failed


def _edit(
    call: PageCall,
    model_id: int,
    form_name: str,
    change: Callable[[dict[str, Any]], dict[str, Any]],
) -> Response:
    def edit(uow: UnitOfWork) -> object:
        current = services.model_public(services.get_model(uow.session, model_id))
        return services.do_update_model(model_id, change(current), uow=uow)

    return call.run(
        edit,
        done=f"/scoring/models/{model_id}#{form_name}",
        failed=_refused(call, model_id, form_name),
    )


@router.post("/scoring/models/{model_id:int}/summary")
def save_summary(model_id: int, call: PageCall = administering) -> Response:
    return _edit(
        call,
        model_id,
        "summary",
        lambda _current: {
            "name": call.text("name"),
            "description": call.text("description") or None,
            "entity_target": call.text("entity_target") or "contact",
            "sales_ready_threshold": call.text("sales_ready_threshold") or None,
        },
    )


@router.post("/scoring/models/{model_id:int}/rules")
def add_rule(model_id: int, call: PageCall = administering) -> Response:
    def change(current: dict[str, Any]) -> dict[str, Any]:
        rule = {
            "name": call.text("rule_name") or None,
            "points": call.text("points") or None,
            "conditions": [condition_from_form(call.form)],
        }
        return {"rules": [*current["rules"], rule]}

    return _edit(call, model_id, "add-rule", change)


@router.post("/scoring/models/{model_id:int}/rules/{index:int}/conditions")
def add_condition(model_id: int, index: int, call: PageCall = administering) -> Response:
    def change(current: dict[str, Any]) -> dict[str, Any]:
        rules = current["rules"]
        if not 0 <= index < len(rules):
            raise ValidationFailed(
                "That rule no longer exists", field="rule", code=ErrorCode.REFERENCE_UNKNOWN
            )
        rules[index]["conditions"].append(condition_from_form(call.form))
        return {"rules": rules}

    return _edit(call, model_id, f"rule-{index}", change)


@router.post("/scoring/models/{model_id:int}/rules/{index:int}/delete")
def remove_rule(model_id: int, index: int, call: PageCall = administering) -> Response:
    def change(current: dict[str, Any]) -> dict[str, Any]:
        rules = current["rules"]
        if 0 <= index < len(rules):
            rules.pop(index)
        return {"rules": rules}

    return _edit(call, model_id, "rules", change)


@router.post("/scoring/models/{model_id:int}/rules/{index:int}/conditions/{position:int}/delete")
def remove_condition(
    model_id: int, index: int, position: int, call: PageCall = administering
) -> Response:
    def change(current: dict[str, Any]) -> dict[str, Any]:
        rules = current["rules"]
        if 0 <= index < len(rules) and 0 <= position < len(rules[index]["conditions"]):
            rules[index]["conditions"].pop(position)
            if not rules[index]["conditions"]:
                rules.pop(index)
        return {"rules": rules}

    return _edit(call, model_id, f"rule-{index}", change)


@router.post("/scoring/models/{model_id:int}/grades")
def save_grades(model_id: int, call: PageCall = administering) -> Response:
    return _edit(
        call,
        model_id,
        "grades",
        lambda _current: {"grades": grades_from_text(call.text("grades"))},
    )


@router.post("/scoring/models/{model_id:int}/check")
def check(model_id: int, call: PageCall = administering) -> Response:
    problems = call.read(
        lambda session: services.check_model(
            session, call.container.registry_cache.get(session), model_id
        )
    )
    return designer(call.request, call.principal, model_id, extra={"checked": problems})


@router.post("/scoring/models/{model_id:int}/what-if")
def what_if(model_id: int, call: PageCall = administering) -> Response:
    return call.show(
        lambda session: insight.what_if(
            session, call.container.registry_cache.get(session), model_id
        ),
        done=lambda result: designer(
            call.request, call.principal, model_id, extra={"what_if": result}
        ),
        failed=_refused(call, model_id, "actions", status=422),
    )


@router.post("/scoring/models/{model_id:int}/go-live")
def go_live(model_id: int, call: PageCall = administering) -> Response:
    return call.run(
        lambda uow: services.do_go_live(model_id, uow=uow, requested_by=call.user_id),
        done=f"/scoring/models/{model_id}",
        failed=_refused(call, model_id, "actions"),
    )


@router.post("/scoring/models/{model_id:int}/stop")
def stop(model_id: int, call: PageCall = administering) -> Response:
    return call.run(
        lambda uow: services.do_stop_model(model_id, uow=uow),
        done=f"/scoring/models/{model_id}",
        failed=_refused(call, model_id, "actions"),
    )


@router.post("/scoring/models/{model_id:int}/rescore")
def rescore(model_id: int, call: PageCall = administering) -> Response:
    return call.run(
        lambda uow: services.do_start_rescore(model_id, uow=uow, requested_by=call.user_id),
        done=lambda job: see_other(f"/jobs/{job.id}"),
        failed=_refused(call, model_id, "actions"),
    )
