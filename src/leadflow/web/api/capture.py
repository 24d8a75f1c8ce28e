"""API routes of the capture capability: thin over its services.

No `from __future__ import annotations`: FastAPI reads the body models from the
annotations at run time.
"""

from typing import Any

from fastapi import APIRouter, Body, Depends, Request, Response
from fastapi.responses import JSONResponse

from leadflow.capture import services
from leadflow.capture.errors import RateLimited
from leadflow.capture.representations import (
    event_json,
    form_json,
    registration_json,
    strategy_json,
    submission_json,
)
from leadflow.capture.schemas import (
    EventIn,
    FormIn,
    RegistrationIn,
    RegistrationOut,
    ResubmitIn,
    StrategyIn,
    SubmissionPayload,
    SubmissionReceipt,
)
from leadflow.lib.records import to_public
from leadflow.matching import services as matching
from leadflow.users.domain import Permission
from leadflow.web.api.schemas import write_model
from leadflow.web.auth import Authorize, container_of
from leadflow.web.errors import problem_response
from leadflow.web.openapi import problems
from leadflow.web.rate_limits import check_rate, client_ip

# The public capture routes: anyone may call them (they are rate-limited instead).
PUBLIC_API_ROUTES = (
    ("POST", "/api/v1/forms/{form_id}/submissions"),
    ("POST", "/api/v1/events/{event_id}/registrations"),
)
BENCH_FLOOR_PATH = "/api/v1/bench/floor"


def rate_limited_response(error: RateLimited) -> Response:
    response = problem_response(error)
    response.headers["Retry-After"] = str(error.retry_after)
    return response


def _dump(body: Any) -> dict[str, Any]:
    data: dict[str, Any] = body.model_dump(exclude_unset=True)
    return data


def _strategies_router() -> APIRouter:
    router = APIRouter(prefix="/api/v1/matching-strategies", tags=["matching"])
    can_read = Depends(Authorize(Permission.FORMS_READ))
    can_admin = Depends(Authorize(Permission.MATCHING_ADMIN))

    @router.get("", dependencies=[can_read], summary="List matching strategies")
    def list_strategies(request: Request, target: str | None = None) -> dict[str, Any]:
        with container_of(request).read_session() as session:
            return {"items": [strategy_json(s) for s in matching.list_strategies(session, target)]}

    @router.post("", status_code=201, dependencies=[can_admin], summary="Create a strategy")
    def create_strategy(request: Request, body: StrategyIn = Body()) -> dict[str, Any]:
        with container_of(request).uow() as uow:
            return strategy_json(matching.do_create_strategy(_dump(body), uow=uow))

    @router.get("/{strategy_id}", dependencies=[can_read], summary="Read a strategy")
    def read_strategy(request: Request, strategy_id: int) -> dict[str, Any]:
        with container_of(request).read_session() as session:
            return strategy_json(matching.get_strategy(session, strategy_id))

    @router.patch("/{strategy_id}", dependencies=[can_admin], summary="Change a strategy")
    def update_strategy(
        request: Request, strategy_id: int, body: StrategyIn = Body()
    ) -> dict[str, Any]:
        with container_of(request).uow() as uow:
            return strategy_json(matching.do_update_strategy(strategy_id, _dump(body), uow=uow))

    @router.delete(
        "/{strategy_id}",
        status_code=204,
        dependencies=[can_admin],
        summary="Delete a strategy",
        responses=problems(409, notes={409: "The default strategy cannot be deleted"}),
    )
    def delete_strategy(request: Request, strategy_id: int) -> Response:
        matching.do_delete_strategy(strategy_id, uow=container_of(request).uow())
        return Response(status_code=204)

    return router


def _form_payload(body: FormIn) -> dict[str, Any]:
    data = _dump(body)
    if body.fields is not None:
        data["fields"] = [field.model_dump(exclude_none=True) for field in body.fields]
    return data


forms_router = APIRouter(prefix="/api/v1/forms", tags=["forms"])
reading_forms = Depends(Authorize(Permission.FORMS_READ))
writing_forms = Depends(Authorize(Permission.FORMS_WRITE))


@forms_router.get("", dependencies=[reading_forms], summary="List forms")
def list_forms(request: Request) -> dict[str, Any]:
    with container_of(request).read_session() as session:
        items = [
            form_json(form, services.get_page(session, form.page_id))
            for form in services.list_forms(session)
        ]
    return {"items": items}


@forms_router.post(
    "",
    status_code=201,
    dependencies=[writing_forms],
    summary="Create a form",
    responses=problems(
        404,
        409,
        notes={404: "No strategy has this strategy id", 409: "Another page has this slug"},
    ),
)
def create_form(request: Request, response: Response, body: FormIn = Body()) -> dict[str, Any]:
    """The org's default strategies are copied in unless given; the page lives at /p/{slug}."""
    with container_of(request).uow() as uow:
        form = services.do_create_form(_form_payload(body), uow=uow)
        result = form_json(form, services.get_page(uow.session, form.page_id))
    response.headers["Location"] = f"/api/v1/forms/{result['id']}"
    return result


@forms_router.get("/{form_id}", dependencies=[reading_forms], summary="Read a form")
def read_form(request: Request, form_id: int) -> dict[str, Any]:
    with container_of(request).read_session() as session:
        form = services.get_form(session, form_id)
        return form_json(form, services.get_page(session, form.page_id))


@forms_router.patch(
    "/{form_id}",
    dependencies=[writing_forms],
    summary="Change a form",
    responses=problems(409, notes={409: "Another page has this slug"}),
)
def update_form(request: Request, form_id: int, body: FormIn = Body()) -> dict[str, Any]:
    with container_of(request).uow() as uow:
        form = services.do_update_form(form_id, _form_payload(body), uow=uow)
        return form_json(form, services.get_page(uow.session, form.page_id))


@forms_router.delete("/{form_id}", status_code=204, dependencies=[writing_forms], summary="Delete")
def delete_form(request: Request, form_id: int) -> Response:
    services.do_delete_form(form_id, uow=container_of(request).uow())
    return Response(status_code=204)


@forms_router.get(
    "/{form_id}/submissions", dependencies=[reading_forms], summary="List submissions"
)
def list_submissions(request: Request, form_id: int, status: str | None = None) -> dict[str, Any]:
    with container_of(request).read_session() as session:
        services.get_form(session, form_id)
        rows = services.list_submissions(session, form_id, status=status)
    return {"items": [submission_json(row) for row in rows]}


@forms_router.post(
    "/{form_id}/submissions",
    status_code=202,
    summary="Submit a form (public)",
    response_model=SubmissionReceipt,
    responses=problems(404, 422, 429),
)
def submit(request: Request, form_id: int, body: SubmissionPayload = Body()) -> Response:
    """For forms embedded on other sites: JSON field values by the form's field names.

    Public and rate-limited. Bad input is refused at once: 422 problem+json lists
    each field at fault in `errors`. A good submission is accepted (202) and
    processed moments later: `status_url` shows its status, and its contact and
    lead once processed (`contact_id`/`lead_id` are null until then).
    """
    try:
        check_rate(request, f"form:{form_id}")
    except RateLimited as exc:
        return rate_limited_response(exc)
    container = container_of(request)
    # Kept per process for a moment, read outside the write transaction.
    form = services.cached_form(container.read_session_factory, form_id)
    result = services.do_accept_submission(
        form_id, body, uow=container.uow(), source_ip=client_ip(request), form=form
    )
    return JSONResponse(
        {
            "submission_id": result.submission_id,
            "status": result.status.value,
            "contact_id": None,
            "lead_id": None,
            "status_url": None
            if result.submission_id is None
            else f"/api/v1/submissions/{result.submission_id}",
        },
        status_code=202,
    )


def _submissions_router() -> APIRouter:
    router = APIRouter(prefix="/api/v1/submissions", tags=["forms"])
    can_read = Depends(Authorize(Permission.FORMS_READ))
    can_write = Depends(Authorize(Permission.FORMS_WRITE))

    @router.get("/{submission_id}", dependencies=[can_read], summary="Read a submission")
    def read_submission(request: Request, submission_id: int) -> dict[str, Any]:
        with container_of(request).read_session() as session:
            return submission_json(services.get_submission(session, submission_id))

    @router.post(
        "/{submission_id}/resubmit", dependencies=[can_write], summary="Process a submission again"
    )
    def resubmit(
        request: Request, submission_id: int, body: ResubmitIn = Body(default_factory=ResubmitIn)
    ) -> dict[str, Any]:
        """Run the pipeline again, at once, on the stored payload (or a corrected
        `payload`); 422 with the errors when it fails again."""
        container = container_of(request)
        services.do_resubmit(submission_id, new_uow=container.uow, payload=body.payload)
        with container.read_session() as session:
            return submission_json(services.get_submission(session, submission_id))

    return router


events_router = APIRouter(prefix="/api/v1/events", tags=["events"])
reading_events = Depends(Authorize(Permission.EVENTS_READ))
writing_events = Depends(Authorize(Permission.EVENTS_WRITE))


@events_router.get("", dependencies=[reading_events], summary="List events")
def list_events(request: Request) -> dict[str, Any]:
    with container_of(request).read_session() as session:
        return {"items": [event_json(row) for row in services.list_events(session)]}


@events_router.post("", status_code=201, dependencies=[writing_events], summary="Create an event")
def create_event(request: Request, body: EventIn = Body()) -> dict[str, Any]:
    with container_of(request).uow() as uow:
        return event_json(services.do_create_event(_dump(body), uow=uow))


@events_router.get("/{event_id}", dependencies=[reading_events], summary="Read an event")
def read_event(request: Request, event_id: int) -> dict[str, Any]:
    with container_of(request).read_session() as session:
        return event_json(services.get_event(session, event_id))


@events_router.patch("/{event_id}", dependencies=[writing_events], summary="Change an event")
def update_event(request: Request, event_id: int, body: EventIn = Body()) -> dict[str, Any]:
    with container_of(request).uow() as uow:
        return event_json(services.do_update_event(event_id, _dump(body), uow=uow))


@events_router.delete(
    "/{event_id}", status_code=204, dependencies=[writing_events], summary="Delete"
)
def delete_event(request: Request, event_id: int) -> Response:
    services.do_delete_event(event_id, uow=container_of(request).uow())
    return Response(status_code=204)


@events_router.get(
    "/{event_id}/registrations", dependencies=[reading_events], summary="Registrations"
)
def list_registrations(request: Request, event_id: int) -> dict[str, Any]:
    with container_of(request).read_session() as session:
        services.get_event(session, event_id)
        rows = services.list_registrations(session, event_id)
    return {"items": [registration_json(row) for row in rows]}


@events_router.post(
    "/{event_id}/registrations",
    status_code=201,
    summary="Register (public)",
    response_model=RegistrationOut,
    responses={
        200: {
            "description": "Already registered: the same registration",
            "model": RegistrationOut,
        },
        **problems(
            409,
            429,
            notes={409: "The event is full (`event_full`, `waitlist`: join the waitlist)"},
        ),
    },
)
def register(request: Request, event_id: int, body: RegistrationIn = Body()) -> Response:
    """Public and rate-limited. A full event answers 409 `event_full` unless
    `join_waitlist` is true; registering again returns the same registration (200)."""
    try:
        check_rate(request, f"event:{event_id}")
    except RateLimited as exc:
        return rate_limited_response(exc)
    with container_of(request).uow() as uow:
        registration, created = services.do_register_for_event(event_id, body.model_dump(), uow=uow)
        result = registration_json(registration)
    return JSONResponse(result, status_code=201 if created else 200)


@events_router.post(
    "/{event_id}/registrations/{registration_id}/check-in",
    dependencies=[writing_events],
    summary="Check a registrant in",
)
def check_in(request: Request, event_id: int, registration_id: int) -> dict[str, Any]:
    with container_of(request).uow() as uow:
        registration, _ = services.do_check_in(event_id, registration_id, uow=uow)
        return registration_json(registration)


def _bench_router() -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.post(BENCH_FLOOR_PATH)
    def floor(request: Request) -> dict[str, Any]:
        """The framework-and-database floor: one transaction inserting one row."""
        services.do_insert_bench_page(uow=container_of(request).uow())
        return {"ok": True}

    return router


def _manual_leads_router() -> APIRouter:
    router = APIRouter(prefix="/api/v1/leads", tags=["leads"])
    can_write = Depends(Authorize(Permission.LEADS_WRITE))
    create_model = write_model("lead", creating=True)

    @router.post(
        "/with-contact",
        status_code=201,
        dependencies=[can_write],
        summary="Create a lead and its contact on the spot",
        responses=problems(409, notes={409: "The contact is being changed by another request"}),
    )
    def create_with_contact(
        request: Request,
        response: Response,
        body: create_model = Body(),  # type: ignore[valid-type]
    ) -> dict[str, Any]:
        """Lead fields as for `POST /api/v1/leads`; the parent contact is made from the
        lead's name, email, phone and job title (or, with the same email, the existing
        contact is linked). `contact_created` says which."""
        with container_of(request).uow() as uow:
            lead, outcome = services.do_create_lead_with_contact(_dump(body), uow=uow)
            result = to_public(lead, uow.registry, "lead")
        response.headers["Location"] = f"/api/v1/leads/{result['id']}"
        return {**result, "contact_created": outcome.created}

    return router


def routers() -> list[APIRouter]:
    return [
        _strategies_router(),
        forms_router,
        _submissions_router(),
        events_router,
        _manual_leads_router(),
    ]


def bench_routers() -> list[APIRouter]:
    return [_bench_router()]
