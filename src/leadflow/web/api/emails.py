"""API routes of emails: thin over their services."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request, Response
from sqlalchemy.orm import Session

from leadflow.db.uow import UnitOfWork
from leadflow.emails import services
from leadflow.emails.compose import Links
from leadflow.emails.delivery import send_draft_test, send_test
from leadflow.emails.models import EmailTemplate
from leadflow.emails.schemas import (
    DraftTestSendIn,
    PreviewIn,
    TemplateIn,
    TemplatePatch,
    TestSendIn,
    body_data,
)
from leadflow.users.domain import Permission
from leadflow.web.auth import container_of
from leadflow.web.calls import ApiCall, api_call
from leadflow.web.openapi import problems


def links_of(request: Request) -> Links:
    settings = container_of(request).settings
    return Links(settings.public_url, settings.effective_secret_key)


router = APIRouter(prefix="/api/v1/emails", tags=["emails"])
reading = api_call(Permission.EMAILS_READ)
writing = api_call(Permission.EMAILS_WRITE)


def _with_stats(template: Any, stats: dict[int, dict[str, int]]) -> dict[str, Any]:
    result = services.template_public(template)
    result["stats"] = stats.get(template.id, services.empty_stats())
    return result


def _with_own_stats(template: EmailTemplate, uow: UnitOfWork) -> dict[str, Any]:
    return _with_stats(template, services.template_stats(uow.session, [template.id]))


def _base_template(session: Session, template_id: int | None) -> EmailTemplate | None:
    return services.get_template(session, template_id) if template_id is not None else None


@router.get("/templates", summary="List email templates")
def list_templates(call: ApiCall = reading) -> dict[str, Any]:
    """Each template with its counts: sent, opened, clicked, bounced..."""

    def listed(session: Session) -> dict[str, Any]:
        stats = services.template_stats(session)
        return {"items": [_with_stats(t, stats) for t in services.list_templates(session)]}

    return call.read(listed)


@router.post(
    "/templates",
    status_code=201,
    summary="Create an email template",
    responses=problems(409, 422, notes={422: "A part does not parse (`field`, `line`)"}),
)
def create_template(
    response: Response, body: TemplateIn, call: ApiCall = writing
) -> dict[str, Any]:
    result = call.run(
        lambda uow: services.do_create_template(body_data(body), uow=uow),
        lambda template, _: _with_stats(template, {}),
    )
    response.headers["Location"] = f"/api/v1/emails/templates/{result['id']}"
    return result


@router.get("/templates/{template_id}", summary="Read a template")
def read_template(template_id: int, call: ApiCall = reading) -> dict[str, Any]:
    def one(session: Session) -> dict[str, Any]:
        template = services.get_template(session, template_id)
        return _with_stats(template, services.template_stats(session, [template_id]))

    return call.read(one)


@router.patch(
    "/templates/{template_id}",
    summary="Edit a template",
    responses=problems(409, 422, notes={422: "A part does not parse (`field`, `line`)"}),
)
def update_template(
    template_id: int, body: TemplatePatch, call: ApiCall = writing
) -> dict[str, Any]:
    return call.run(
        lambda uow: services.do_update_template(template_id, body_data(body), uow=uow),
        _with_own_stats,
    )


@router.delete(
    "/templates/{template_id}",
    status_code=204,
    summary="Delete a template",
    responses=problems(409, notes={409: "Messages were made from it"}),
)
def delete_template(template_id: int, call: ApiCall = writing) -> Response:
    call.write(lambda uow: services.do_delete_template(template_id, uow=uow))
    return Response(status_code=204)


@router.post(
    "/preview",
    summary="Preview a template for a contact",
    responses=problems(404, 422),
)
def preview(body: PreviewIn, call: ApiCall = reading) -> dict[str, Any]:
    """Renders a saved template (`template_id`) or a draft's parts (given parts win)
    with a contact's values: subject, HTML and text as they would be sent."""
    data = body_data(body)
    rendered = call.read_registered(
        lambda session, registry: services.preview(
            session,
            registry,
            services.draft_source(data, _base_template(session, body.template_id)),
            body.contact_id,
            links_of(call.request),
        )
    )
    return {"subject": rendered.subject, "html": rendered.html, "text": rendered.text}


@router.post(
    "/templates/{template_id}/test-send",
    summary="Send a test to an address",
    responses=problems(404, 422, 503, notes={503: "The SMTP server cannot be reached"}),
)
def test_send(template_id: int, body: TestSendIn, call: ApiCall = writing) -> dict[str, Any]:
    template = call.read(lambda session: services.get_template(session, template_id))
    send_test(
        call.container,
        services.draft_source({}, template),
        from_name=template.from_name,
        from_address=template.from_address,
        reply_to=template.reply_to,
        contact_id=body.contact_id,
        to_address=body.to,
    )
    return {"sent": True, "to": body.to.strip()}


@router.post(
    "/test-send",
    summary="Send a test of a draft (saved or not) to an address",
    responses=problems(404, 422, 503, notes={503: "The SMTP server cannot be reached"}),
)
def test_send_draft(body: DraftTestSendIn, call: ApiCall = writing) -> dict[str, Any]:
    """What the editor holds now, merged for `contact_id`, with "[Test]" before the
    subject; nothing is saved or recorded."""
    base = call.read(lambda session: _base_template(session, body.template_id))
    send_draft_test(
        call.container,
        body_data(body),
        base,
        contact_id=body.contact_id,
        to_address=body.to,
    )
    return {"sent": True, "to": body.to.strip()}


@router.get("/messages", summary="List messages")
def list_messages(
    template_id: int | None = None,
    contact_id: int | None = None,
    journey_id: int | None = None,
    status: str | None = Query(
        default=None, description="queued, sending, sent, skipped, failed or bounced"
    ),
    offset: int = Query(default=0, ge=0),
    limit: int = Query(default=50, ge=1, le=200),
    call: ApiCall = reading,
) -> dict[str, Any]:
    """Newest first, with how many match the filters."""

    def listed(session: Session) -> dict[str, Any]:
        rows, total = services.list_messages(
            session,
            template_id=template_id,
            contact_id=contact_id,
            journey_id=journey_id,
            status=status,
            offset=offset,
            limit=limit,
        )
        return {"total": total, "items": [services.message_public(m) for m in rows]}

    return call.read(listed)


def routers() -> list[APIRouter]:
    return [router]
