"""API routes of emails: thin over their services."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Request, Response

from leadflow.emails import services
from leadflow.emails.compose import Links
from leadflow.emails.delivery import send_draft_test, send_test
from leadflow.emails.schemas import (
    DraftTestSendIn,
    PreviewIn,
    TemplateIn,
    TemplatePatch,
    TestSendIn,
    body_data,
)
from leadflow.users.domain import Permission
from leadflow.web.auth import Authorize, container_of
from leadflow.web.openapi import problems


def links_of(request: Request) -> Links:
    settings = container_of(request).settings
    return Links(settings.public_url, settings.effective_secret_key)


router = APIRouter(prefix="/api/v1/emails", tags=["emails"])
can_read = Depends(Authorize(Permission.EMAILS_READ))
can_write = Depends(Authorize(Permission.EMAILS_WRITE))


def _with_stats(template: Any, stats: dict[int, dict[str, int]]) -> dict[str, Any]:
    result = services.template_public(template)
    result["stats"] = stats.get(template.id, services.empty_stats())
    return result


@router.get("/templates", dependencies=[can_read], summary="List email templates")
def list_templates(request: Request) -> dict[str, Any]:
    """Each template with its counts: sent, opened, clicked, bounced..."""
    with container_of(request).read_session() as session:
        stats = services.template_stats(session)
        return {"items": [_with_stats(t, stats) for t in services.list_templates(session)]}


@router.post(
    "/templates",
    status_code=201,
    dependencies=[can_write],
    summary="Create an email template",
    responses=problems(409, 422, notes={422: "A part does not parse (`field`, `line`)"}),
)
def create_template(request: Request, response: Response, body: TemplateIn) -> dict[str, Any]:
    with container_of(request).uow() as uow:
        template = services.do_create_template(body_data(body), uow=uow)
        result = _with_stats(template, {})
    response.headers["Location"] = f"/api/v1/emails/templates/{result['id']}"
    return result


@router.get("/templates/{template_id}", dependencies=[can_read], summary="Read a template")
def read_template(request: Request, template_id: int) -> dict[str, Any]:
    with container_of(request).read_session() as session:
        template = services.get_template(session, template_id)
        return _with_stats(template, services.template_stats(session, [template_id]))


@router.patch(
    "/templates/{template_id}",
    dependencies=[can_write],
    summary="Edit a template",
    responses=problems(409, 422, notes={422: "A part does not parse (`field`, `line`)"}),
)
def update_template(request: Request, template_id: int, body: TemplatePatch) -> dict[str, Any]:
    with container_of(request).uow() as uow:
        template = services.do_update_template(template_id, body_data(body), uow=uow)
        return _with_stats(template, services.template_stats(uow.session, [template_id]))


@router.delete(
    "/templates/{template_id}",
    status_code=204,
    dependencies=[can_write],
    summary="Delete a template",
    responses=problems(409, notes={409: "Messages were made from it"}),
)
def delete_template(request: Request, template_id: int) -> Response:
    services.do_delete_template(template_id, uow=container_of(request).uow())
    return Response(status_code=204)


@router.post(
    "/preview",
    dependencies=[can_read],
    summary="Preview a template for a contact",
    responses=problems(404, 422),
)
def preview(request: Request, body: PreviewIn) -> dict[str, Any]:
    """Renders a saved template (`template_id`) or a draft's parts (given parts win)
    with a contact's values: subject, HTML and text as they would be sent."""
    container = container_of(request)
    data = body_data(body)
    with container.read_session() as session:
        base = (
            services.get_template(session, body.template_id)
            if body.template_id is not None
            else None
        )
        rendered = services.preview(
            session,
            container.registry_cache.get(session),
            services.draft_source(data, base),
            body.contact_id,
            links_of(request),
        )
    return {"subject": rendered.subject, "html": rendered.html, "text": rendered.text}


@router.post(
    "/templates/{template_id}/test-send",
    dependencies=[can_write],
    summary="Send a test to an address",
    responses=problems(404, 422, 503, notes={503: "The SMTP server cannot be reached"}),
)
def test_send(request: Request, template_id: int, body: TestSendIn) -> dict[str, Any]:
    container = container_of(request)
    with container.read_session() as session:
        template = services.get_template(session, template_id)
    send_test(
        container,
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
    dependencies=[can_write],
    summary="Send a test of a draft (saved or not) to an address",
    responses=problems(404, 422, 503, notes={503: "The SMTP server cannot be reached"}),
)
def test_send_draft(request: Request, body: DraftTestSendIn) -> dict[str, Any]:
    """What the editor holds now, merged for `contact_id`, with "[Test]" before the
    subject; nothing is saved or recorded."""
    container = container_of(request)
    with container.read_session() as session:
        base = (
            services.get_template(session, body.template_id)
            if body.template_id is not None
            else None
        )
    send_draft_test(
        container,
        body_data(body),
        base,
        contact_id=body.contact_id,
        to_address=body.to,
    )
    return {"sent": True, "to": body.to.strip()}


@router.get("/messages", dependencies=[can_read], summary="List messages")
def list_messages(
    request: Request,
    template_id: int | None = None,
    contact_id: int | None = None,
    journey_id: int | None = None,
    status: str | None = Query(
        default=None, description="queued, sending, sent, skipped, failed or bounced"
    ),
    offset: int = Query(default=0, ge=0),
    limit: int = Query(default=50, ge=1, le=200),
) -> dict[str, Any]:
    """Newest first, with how many match the filters."""
    with container_of(request).read_session() as session:
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


def routers() -> list[APIRouter]:
    return [router]
