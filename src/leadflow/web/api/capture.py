"""API routes of the capture capability: forms and their submissions, events and their
registrations, a lead made with its contact. Thin over its services.

No `from __future__ import annotations`: FastAPI reads the body models from the
annotations at run time.
"""

from typing import Any

from fastapi import APIRouter, Body, Response
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session

from leadflow.capture import services
from leadflow.capture.errors import RateLimited
from leadflow.capture.models import MarketingForm
from leadflow.capture.representations import (
    event_json,
    form_json,
    registration_json,
    submission_json,
)
from leadflow.capture.schemas import (
    EventIn,
    FormIn,
    RegistrationIn,
    RegistrationOut,
    ResubmitIn,
    SubmissionPayload,
    SubmissionReceipt,
)
from leadflow.db.uow import UnitOfWork
from leadflow.records.values import to_public
from leadflow.users.domain import Permission
from leadflow.web.api.schemas import write_model
from leadflow.web.calls import ApiCall, OpenCall, api_call, open_call
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


def _form_payload(body: FormIn) -> dict[str, Any]:
    data = _dump(body)
    if body.fields is not None:
        data["fields"] = [field.model_dump(exclude_none=True) for field in body.fields]
    return data


def _form_json(form: MarketingForm, session: Session) -> dict[str, Any]:
    return form_json(form, services.get_page(session, form.page_id))


def _form_in_unit(form: MarketingForm, uow: UnitOfWork) -> dict[str, Any]:
    return _form_json(form, uow.session)


forms_router = APIRouter(prefix="/api/v1/forms", tags=["forms"])
reading_forms = api_call(Permission.FORMS_READ)
writing_forms = api_call(Permission.FORMS_WRITE)


@forms_router.get("", summary="List forms")
def list_forms(call: ApiCall = reading_forms) -> dict[str, Any]:
    return call.read(
        lambda session: {
            "items": [_form_json(form, session) for form in services.list_forms(session)]
        }
    )


@forms_router.post(
    "",
    status_code=201,
    summary="Create a form",
    responses=problems(
        404,
        409,
        notes={404: "No strategy has this strategy id", 409: "Another page has this slug"},
    ),
)
def create_form(
    response: Response, body: FormIn = Body(), call: ApiCall = writing_forms
) -> dict[str, Any]:
    """The org's default strategies are copied in unless given; the page lives at /p/{slug}."""
    result = call.run(
        lambda uow: services.do_create_form(_form_payload(body), uow=uow), _form_in_unit
    )
    response.headers["Location"] = f"/api/v1/forms/{result['id']}"
    return result


@forms_router.get("/{form_id}", summary="Read a form")
def read_form(form_id: int, call: ApiCall = reading_forms) -> dict[str, Any]:
    return call.read(lambda session: _form_json(services.get_form(session, form_id), session))


@forms_router.patch(
    "/{form_id}",
    summary="Change a form",
    responses=problems(409, notes={409: "Another page has this slug"}),
)
def update_form(
    form_id: int, body: FormIn = Body(), call: ApiCall = writing_forms
) -> dict[str, Any]:
    return call.run(
        lambda uow: services.do_update_form(form_id, _form_payload(body), uow=uow), _form_in_unit
    )


@forms_router.delete("/{form_id}", status_code=204, summary="Delete")
def delete_form(form_id: int, call: ApiCall = writing_forms) -> Response:
    call.write(lambda uow: services.do_delete_form(form_id, uow=uow))
    return Response(status_code=204)


@forms_router.get("/{form_id}/submissions", summary="List submissions")
def list_submissions(
    form_id: int, status: str | None = None, call: ApiCall = reading_forms
) -> dict[str, Any]:
    def listed(session: Session) -> dict[str, Any]:
        services.get_form(session, form_id)
        rows = services.list_submissions(session, form_id, status=status)
        return {"items": [submission_json(row) for row in rows]}

    return call.read(listed)


@forms_router.post(
    "/{form_id}/submissions",
    status_code=202,
    summary="Submit a form (public)",
    response_model=SubmissionReceipt,
    responses=problems(404, 422, 429),
)
def submit(
    form_id: int, body: SubmissionPayload = Body(), call: OpenCall = open_call()
) -> Response:
    """For forms embedded on other sites: JSON field values by the form's field names.

    Public and rate-limited. Bad input is refused at once: 422 problem+json lists
    each field at fault in `errors`. A good submission is accepted (202) and
    processed moments later: `status_url` shows its status, and its contact and
    lead once processed (`contact_id`/`lead_id` are null until then).
    """
    request = call.request
    try:
        check_rate(request, f"form:{form_id}")
    except RateLimited as exc:
        return rate_limited_response(exc)
    # Kept per process for a moment, read outside the write transaction.
    form = services.cached_form(call.container.read_session_factory, form_id)
    result = call.write(
        lambda uow: services.do_accept_submission(
            form_id, body, uow=uow, source_ip=client_ip(request), form=form
        )
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


submissions_router = APIRouter(prefix="/api/v1/submissions", tags=["forms"])


@submissions_router.get("/{submission_id}", summary="Read a submission")
def read_submission(submission_id: int, call: ApiCall = reading_forms) -> dict[str, Any]:
    return call.read(
        lambda session: submission_json(services.get_submission(session, submission_id))
    )


@submissions_router.post("/{submission_id}/resubmit", summary="Process a submission again")
def resubmit(
    submission_id: int,
    body: ResubmitIn = Body(default_factory=ResubmitIn),
    call: ApiCall = writing_forms,
) -> dict[str, Any]:
    """Run the pipeline again, at once, on the stored payload (or a corrected
    `payload`); 422 with the errors when it fails again."""
    # The resubmission opens its own units (the pipeline's steps commit one by one).
    services.do_resubmit(submission_id, new_uow=call.container.uow, payload=body.payload)
    return call.read(
        lambda session: submission_json(services.get_submission(session, submission_id))
    )


events_router = APIRouter(prefix="/api/v1/events", tags=["events"])
reading_events = api_call(Permission.EVENTS_READ)
writing_events = api_call(Permission.EVENTS_WRITE)


@events_router.get("", summary="List events")
def list_events(call: ApiCall = reading_events) -> dict[str, Any]:
    return call.read(
        lambda session: {"items": [event_json(row) for row in services.list_events(session)]}
    )


@events_router.post("", status_code=201, summary="Create an event")
def create_event(body: EventIn = Body(), call: ApiCall = writing_events) -> dict[str, Any]:
    return call.run(
        lambda uow: services.do_create_event(_dump(body), uow=uow),
        lambda event, _: event_json(event),
    )


@events_router.get("/{event_id}", summary="Read an event")
def read_event(event_id: int, call: ApiCall = reading_events) -> dict[str, Any]:
    return call.read(lambda session: event_json(services.get_event(session, event_id)))


@events_router.patch("/{event_id}", summary="Change an event")
def update_event(
    event_id: int, body: EventIn = Body(), call: ApiCall = writing_events
) -> dict[str, Any]:
    return call.run(
        lambda uow: services.do_update_event(event_id, _dump(body), uow=uow),
        lambda event, _: event_json(event),
    )


@events_router.delete("/{event_id}", status_code=204, summary="Delete")
def delete_event(event_id: int, call: ApiCall = writing_events) -> Response:
    call.write(lambda uow: services.do_delete_event(event_id, uow=uow))
    return Response(status_code=204)


@events_router.get("/{event_id}/registrations", summary="Registrations")
def list_registrations(event_id: int, call: ApiCall = reading_events) -> dict[str, Any]:
    def listed(session: Session) -> dict[str, Any]:
        services.get_event(session, event_id)
        rows = services.list_registrations(session, event_id)
        return {"items": [registration_json(row) for row in rows]}

    return call.read(listed)


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
def register(
    event_id: int, body: RegistrationIn = Body(), call: OpenCall = open_call()
) -> Response:
    """Public and rate-limited. A full event answers 409 `event_full` unless
    `join_waitlist` is true; registering again returns the same registration (200)."""
    try:
        check_rate(call.request, f"event:{event_id}")
    except RateLimited as exc:
        return rate_limited_response(exc)
    result, created = call.run(
        lambda uow: services.do_register_for_event(event_id, body.model_dump(), uow=uow),
        lambda registered, _: (registration_json(registered[0]), registered[1]),
    )
    return JSONResponse(result, status_code=201 if created else 200)


@events_router.post(
    "/{event_id}/registrations/{registration_id}/check-in", summary="Check a registrant in"
)
def check_in(event_id: int, registration_id: int, call: ApiCall = writing_events) -> dict[str, Any]:
    return call.run(
        lambda uow: services.do_check_in(event_id, registration_id, uow=uow),
        lambda checked, _: registration_json(checked[0]),
    )


bench_router = APIRouter(include_in_schema=False)


@bench_router.post(BENCH_FLOOR_PATH)
def floor(call: OpenCall = open_call()) -> dict[str, Any]:
    """The framework-and-database floor: one transaction inserting one row."""
    call.write(lambda uow: services.do_insert_bench_page(uow=uow))
    return {"ok": True}


def _manual_leads_router() -> APIRouter:
    # Built when the app is: the lead's request model is made from the registry's fields.
    router = APIRouter(prefix="/api/v1/leads", tags=["leads"])
    lead_in = write_model("lead", creating=True)

    @router.post(
        "/with-contact",
        status_code=201,
        summary="Create a lead and its contact on the spot",
        responses=problems(409, notes={409: "The contact is being changed by another request"}),
    )
    def create_with_contact(
        response: Response,
        body: lead_in = Body(),  # type: ignore[valid-type]
        call: ApiCall = api_call(Permission.LEADS_WRITE),
    ) -> dict[str, Any]:
        """Lead fields as for `POST /api/v1/leads`; the parent contact is made from the
        lead's name, email, phone and job title (or, with the same email, the existing
        contact is linked). `contact_created` says which."""
        result, created = call.run(
            lambda uow: services.do_create_lead_with_contact(_dump(body), uow=uow),
            lambda made, uow: (to_public(made[0], uow.registry, "lead"), made[1].created),
        )
        response.headers["Location"] = f"/api/v1/leads/{result['id']}"
        return {**result, "contact_created": created}

    return router


def routers() -> list[APIRouter]:
    return [forms_router, submissions_router, events_router, _manual_leads_router()]


def bench_routers() -> list[APIRouter]:
    return [bench_router]
