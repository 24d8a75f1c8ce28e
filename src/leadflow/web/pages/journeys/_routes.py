"""The journeys list and the designer's routes: create, save, go live, stop, resume."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from starlette.datastructures import FormData

from leadflow.db.uow import UnitOfWork
from leadflow.errors import ErrorCode, LeadflowError, ValidationFailed
from leadflow.journeys import services
from leadflow.journeys.schemas import JourneyDefinition, JourneySettings
from leadflow.users.domain import Permission, role_allows
from leadflow.users.services import Principal
from leadflow.web.auth import Authorize, container_of
from leadflow.web.calls import PageCall, page_call, see_other
from leadflow.web.pages.journeys._context import designer_context, journey_rows
from leadflow.web.pages.journeys._forms import (
    checked,
    definition_from_form,
    settings_from_form,
)
from leadflow.web.pages.render import render

# A new journey starts with one tile: the designer adds the rest before it.
STARTER = {"start": "end1", "tiles": [{"id": "end1", "kind": "end", "label": ""}]}


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def _owner_from_form(form: FormData) -> int | None:
    """The owner picked in the settings (a user's id from the list); blank: unchanged."""
    raw = _text(form, "owner_id")
    if not raw:
        return None
    if not raw.isdigit():
        raise ValidationFailed(
            "Pick the owner from the list of users", field="owner_id", code=ErrorCode.USER_UNKNOWN
        )
    return int(raw)


router = APIRouter(include_in_schema=False)
can_read = Authorize(Permission.JOURNEYS_READ)
writing = page_call(Permission.JOURNEYS_WRITE)


def _index(
    request: Request,
    principal: Principal,
    *,
    error: LeadflowError | None = None,
    notice: str | None = None,
    form_name: str = "",
) -> Response:
    with container_of(request).read_session() as session:
        rows = journey_rows(session)
    return render(
        request,
        "journeys/index.html",
        {
            "journeys": rows,
            "can_write": role_allows(principal.role, Permission.JOURNEYS_WRITE),
            "error": error,
            "notice": notice,
            "form_name": form_name,
        },
        status=error.http_status if error else 200,
    )


@router.get("/journeys")
def index(request: Request, notice: str = "", principal: Principal = Depends(can_read)) -> Response:
    return _index(request, principal, notice=notice[:200] or None)


@router.post("/journeys/new")
def create(call: PageCall = writing) -> Response:
    name = call.text("name")

    def create_journey(uow: UnitOfWork) -> Any:
        if not name:
            raise ValidationFailed("A journey needs a name", field="name", code=ErrorCode.REQUIRED)
        settings = checked(
            JourneySettings, {"target": call.text("target") or "contact"}, "settings"
        )
        return services.do_create_journey(
            name, call.user_id, settings, JourneyDefinition.model_validate(STARTER), uow=uow
        )

    return call.run(
        create_journey,
        done=lambda journey: see_other(f"/journeys/{journey.id}"),
        failed=lambda exc: _index(call.request, call.principal, error=exc, form_name=name),
    )


def _designer(
    request: Request,
    principal: Principal,
    journey_id: int,
    *,
    error: LeadflowError | None = None,
    posted: tuple[str, dict[str, Any], Any, str, str] | None = None,
    notice: str | None = None,
) -> Response:
    container = container_of(request)
    with container.read_session() as session:
        registry = container.registry_cache.get(session)
        context = designer_context(
            session, registry, journey_id, principal, error=error, posted=posted
        )
    context["notice"] = notice
    return render(
        request,
        "journeys/designer.html",
        context,
        status=error.http_status if error else 200,
    )


@router.get("/journeys/{journey_id:int}")
def show(
    request: Request,
    journey_id: int,
    notice: str = "",
    principal: Principal = Depends(can_read),
) -> Response:
    return _designer(request, principal, journey_id, notice=notice[:200] or None)


@router.post("/journeys/{journey_id:int}")
def save(journey_id: int, call: PageCall = writing) -> Response:
    form = call.form
    name = call.text("name")
    raw_settings = settings_from_form(form)
    description = call.text("description")
    raw_definition: Any = None
    owner = call.text("owner_id")

    def update(uow: UnitOfWork) -> object:
        nonlocal raw_definition
        raw_definition = definition_from_form(form)
        owner_id = _owner_from_form(form)
        if not name:
            raise ValidationFailed("A journey needs a name", field="name", code=ErrorCode.REQUIRED)
        settings = checked(JourneySettings, raw_settings, "settings")
        definition = checked(JourneyDefinition, raw_definition, "definition")
        return services.do_update_journey(
            journey_id,
            {
                "name": name,
                "description": description or None,
                "settings": settings,
                "definition": definition,
                "owner_id": owner_id,
            },
            uow=uow,
        )

    return call.run(
        update,
        done=f"/journeys/{journey_id}?notice=saved",
        # What the person typed comes back as it was, the definition as far as it was read.
        failed=lambda exc: _designer(
            call.request,
            call.principal,
            journey_id,
            error=exc,
            posted=(name, raw_settings, raw_definition, description, owner),
        ),
    )


def lifecycle(path: str, use_case: Callable[..., object], notice: str) -> None:
    """One of the buttons moving a journey on (go live, stop, resume)."""

    @router.post(f"/journeys/{{journey_id:int}}/{path}", name=f"journey_{notice}")
    def move(journey_id: int, call: PageCall = writing) -> Response:
        if call.text("back") == "list":
            return call.run(
                lambda uow: use_case(journey_id, uow=uow),
                done=f"/journeys?notice={notice}",
                failed=lambda exc: _index(call.request, call.principal, error=exc),
            )
        return call.run(
            lambda uow: use_case(journey_id, uow=uow),
            done=f"/journeys/{journey_id}?notice={notice}",
            failed=lambda exc: _designer(call.request, call.principal, journey_id, error=exc),
        )


lifecycle("go-live", services.do_go_live, "live")
lifecycle("stop", services.do_stop_journey, "stopped")
lifecycle("resume", services.do_resume_journey, "resumed")
