"""The signed-in email pages: the templates, the editor with its live preview, the
messages and the mail catcher."""

from __future__ import annotations

import json
from email import message_from_string
from email.message import EmailMessage as MimeMessage
from email.policy import default as default_policy
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from leadflow.emails import services
from leadflow.emails.compose import Links, merge_fields
from leadflow.emails.delivery import send_draft_test
from leadflow.emails.domain import MessageStatus
from leadflow.emails.models import EmailTemplate
from leadflow.errors import LeadflowError
from leadflow.registry.sql import table_for
from leadflow.users.domain import Permission, role_allows
from leadflow.users.services import Principal
from leadflow.web.auth import Authorize, container_of
from leadflow.web.calls import PageCall, page_call, see_other
from leadflow.web.pages.render import render

CONTACT_CHOICES = 200
PAGE_SIZE = 50
EDITOR_FIELDS = (
    "name",
    "subject",
    "html_body",
    "text_body",
    "from_name",
    "from_address",
    "reply_to",
)


def _links(request: Request) -> Links:
    settings = container_of(request).settings
    return Links(settings.public_url, settings.effective_secret_key)


# --- signed-in pages -----------------------------------------------------------------------


def _contact_choices(session: Session) -> list[tuple[int, str]]:
    contacts = table_for("contact")
    rows = session.execute(
        select(contacts.c.id, contacts.c.first_name, contacts.c.last_name, contacts.c.email)
        .where(contacts.c.email.is_not(None))
        .order_by(contacts.c.id.desc())
        .limit(CONTACT_CHOICES)
    )
    choices = []
    for contact_id, first, last, email in rows:
        name = " ".join(part for part in (first, last) if part) or "(no name)"
        choices.append((int(contact_id), f"{name} <{email}>"))
    return choices


def _json_script(value: Any) -> Markup:
    return Markup(json.dumps(value).replace("</", "<\\/"))


def _editor(
    request: Request,
    principal: Principal,
    template: EmailTemplate | None,
    *,
    values: dict[str, Any] | None = None,
    error: LeadflowError | None = None,
    notice: str | None = None,
    status: int = 200,
) -> Response:
    container = container_of(request)
    with container.read_session() as session:
        registry = container.registry_cache.get(session)
        fields = merge_fields(registry)
        contacts = _contact_choices(session)
        stats = (
            services.template_stats(session, [template.id]).get(template.id)
            if template is not None
            else None
        )
    shown = {name: getattr(template, name) if template else None for name in EDITOR_FIELDS}
    shown.update(values or {})
    return render(
        request,
        "emails/editor.html",
        {
            "template": template,
            "values": shown,
            "merge_fields": fields,
            "merge_fields_json": _json_script([name for name, _ in fields]),
            "contacts": contacts,
            "stats": stats or services.empty_stats(),
            "error": error,
            "notice": notice,
            "can_write": role_allows(principal.role, Permission.EMAILS_WRITE),
        },
        status=status,
    )


def _form_values(form: FormData) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name in EDITOR_FIELDS:
        value = form.get(name)
        if isinstance(value, str):
            values[name] = value
    if not (values.get("text_body") or "").strip():
        values["text_body"] = None
    if not (values.get("reply_to") or "").strip():
        values["reply_to"] = None
    return values


router = APIRouter(include_in_schema=False)
can_read = Authorize(Permission.EMAILS_READ)
can_write = Authorize(Permission.EMAILS_WRITE)
writing = page_call(Permission.EMAILS_WRITE)


@router.get("/emails")
def index(request: Request, principal: Principal = Depends(can_read)) -> Response:
    with container_of(request).read_session() as session:
        stats = services.template_stats(session)
        templates = [
            {"row": t, "stats": stats.get(t.id, services.empty_stats())}
            for t in services.list_templates(session)
        ]
    return render(
        request,
        "emails/index.html",
        {
            "templates": templates,
            "can_write": role_allows(principal.role, Permission.EMAILS_WRITE),
        },
    )


@router.get("/emails/new")
def new(request: Request, principal: Principal = Depends(can_write)) -> Response:
    starter = {
        "subject": "Hello {{ contact.first_name | default('there') }}",
        "html_body": (
            "<h1>Hello {{ contact.first_name | default('there') }},</h1>\n"
            "<p>Write your message here.</p>\n"
        ),
    }
    return _editor(request, principal, None, values=starter)


@router.post("/emails/new")
def create(call: PageCall = writing) -> Response:
    values = _form_values(call.form)
    return call.run(
        lambda uow: services.do_create_template(values, uow=uow),
        done=lambda template: see_other(f"/emails/{template.id}?saved=1"),
        failed=lambda exc: _editor(
            call.request, call.principal, None, values=values, error=exc, status=422
        ),
    )


@router.get("/emails/{template_id:int}")
def edit(
    request: Request,
    template_id: int,
    saved: int = 0,
    principal: Principal = Depends(can_read),
) -> Response:
    with container_of(request).read_session() as session:
        template = services.get_template(session, template_id)
    return _editor(request, principal, template, notice="Saved." if saved else None)


@router.post("/emails/{template_id:int}")
def save(template_id: int, call: PageCall = writing) -> Response:
    values = _form_values(call.form)

    def failed(exc: LeadflowError) -> Response:
        template = call.read(lambda session: services.get_template(session, template_id))
        return _editor(call.request, call.principal, template, values=values, error=exc, status=422)

    return call.run(
        lambda uow: services.do_update_template(template_id, values, uow=uow),
        done=f"/emails/{template_id}?saved=1",
        failed=failed,
    )


@router.post("/emails/test-send")
def test_send(call: PageCall = writing) -> Response:
    """A test of what the editor holds now (saved or not), for the preview's contact;
    the editor comes back with the draft as it was, still unsaved."""
    values = _form_values(call.form)
    template_id, contact, to = (
        call.form.get(name) for name in ("template_id", "test_contact_id", "test_to")
    )
    template = None
    if isinstance(template_id, str) and template_id.isdigit():
        template = call.read(lambda session: services.get_template(session, int(template_id)))
    address = to.strip() if isinstance(to, str) else ""
    kept = {**values, "test_to": address, "test_contact_id": contact if contact else None}
    return call.check(
        lambda: send_draft_test(
            call.container,
            values,
            template,
            contact_id=int(contact) if isinstance(contact, str) and contact.isdigit() else None,
            to_address=address,
        ),
        done=lambda _sent: _editor(
            call.request,
            call.principal,
            template,
            values=kept,
            notice=f"Test sent to {address}.",
        ),
        failed=lambda exc: _editor(
            call.request,
            call.principal,
            template,
            values=kept,
            error=exc,
            status=exc.http_status,
        ),
    )


@router.get("/emails/messages")
def messages(
    request: Request,
    status: str | None = None,
    template_id: int | None = None,
    offset: int = 0,
    principal: Principal = Depends(can_read),
) -> Response:
    container = container_of(request)
    status = status or None
    with container.read_session() as session:
        rows, total = services.list_messages(
            session,
            status=status,
            template_id=template_id,
            offset=max(offset, 0),
            limit=PAGE_SIZE,
        )
        names = {t.id: t.name for t in services.list_templates(session)}
        contacts = table_for("contact")
        people = {
            int(cid): " ".join(p for p in (first, last) if p) or (email or "")
            for cid, first, last, email in session.execute(
                select(
                    contacts.c.id, contacts.c.first_name, contacts.c.last_name, contacts.c.email
                ).where(contacts.c.id.in_({row.contact_id for row in rows}))
            )
        }
    return render(
        request,
        "emails/messages.html",
        {
            "rows": rows,
            "total": total,
            "names": names,
            "people": people,
            "status": status or "",
            "template_id": template_id,
            "statuses": [item.value for item in MessageStatus],
            "offset": max(offset, 0),
            "page_size": PAGE_SIZE,
        },
    )


@router.get("/emails/outbox")
def outbox(request: Request, principal: Principal = Depends(can_read)) -> Response:
    container = container_of(request)
    with container.read_session() as session:
        rows = services.list_caught(session)
    return render(
        request,
        "emails/outbox.html",
        {"rows": rows, "settings": container.settings, "selected": None},
    )


@router.get("/emails/outbox/{caught_id:int}")
def caught(request: Request, caught_id: int, principal: Principal = Depends(can_read)) -> Response:
    container = container_of(request)
    with container.read_session() as session:
        row = services.get_caught(session, caught_id)
        rows = services.list_caught(session)
    parsed = message_from_string(row.raw, policy=default_policy)
    html = text = None
    if isinstance(parsed, MimeMessage):
        html_part = parsed.get_body(("html",))
        text_part = parsed.get_body(("plain",))
        html = html_part.get_content() if isinstance(html_part, MimeMessage) else None
        text = text_part.get_content() if isinstance(text_part, MimeMessage) else None
    headers = [
        (name, str(parsed.get(name)))
        for name in ("From", "To", "Subject", "Date", "Message-ID", "List-Unsubscribe")
        if parsed.get(name)
    ]
    return render(
        request,
        "emails/outbox.html",
        {
            "rows": rows,
            "settings": container.settings,
            "selected": row,
            "headers": headers,
            "html": html,
            "text": text,
        },
    )
