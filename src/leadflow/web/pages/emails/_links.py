"""The public ends of the links in every email: the open pixel, the click redirect and
unsubscribing. The signed token in the path guards them: nobody signs in to follow a link."""

from __future__ import annotations

import base64

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from leadflow.emails.domain import TokenKind, verify_token
from leadflow.emails.tracking import do_record_click, do_record_open, do_unsubscribe
from leadflow.web.auth import container_of
from leadflow.web.calls import OpenCall, open_call
from leadflow.web.pages.render import TEMPLATES

PIXEL = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")
NO_STORE = {"Cache-Control": "no-store, max-age=0"}
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


def _secret(request: Request) -> str:
    return container_of(request).settings.effective_secret_key


def _public_page(request: Request, title: str, message: str, *, status: int = 200) -> Response:
    return TEMPLATES.TemplateResponse(
        request,
        "public/message.html",
        {"title": title, "message": message},
        status_code=status,
        headers=NO_STORE,
    )


public_router = APIRouter(include_in_schema=False)
# The signed token in the path is what guards these: nobody signs in to follow a link.
tracked = open_call()


@public_router.get("/t/o/{token}")
def open_pixel(token: str, call: OpenCall = tracked) -> Response:
    """A 1x1 GIF whatever the token; a valid one records the open."""
    found = verify_token(_secret(call.request), TokenKind.OPEN, token)
    if found is not None:
        message_id = found.message_id
        call.write(lambda uow: do_record_open(message_id, uow=uow))
    return Response(PIXEL, media_type="image/gif", headers=NO_STORE)


@public_router.get("/t/c/{token}")
def click(token: str, call: OpenCall = tracked) -> Response:
    """The signed link's own address, never one a visitor supplies."""
    request = call.request
    found = verify_token(_secret(request), TokenKind.CLICK, token)
    if found is None or not found.url or not found.url.startswith(("http://", "https://")):
        return _public_page(
            request, "Link not found", "This link is broken or was changed.", status=404
        )
    message_id, link, url = found.message_id, found.link, found.url
    call.write(lambda uow: do_record_click(message_id, link, url, uow=uow))
    return RedirectResponse(found.url, status_code=302, headers=NO_STORE)


@public_router.get("/u/{token}")
def unsubscribe_form(request: Request, token: str) -> Response:
    if verify_token(_secret(request), TokenKind.UNSUBSCRIBE, token) is None:
        return _public_page(
            request, "Link not found", "This link is broken or was changed.", status=404
        )
    return TEMPLATES.TemplateResponse(
        request, "emails/unsubscribe.html", {"token": token}, headers=NO_STORE
    )


@public_router.post("/u/{token}")
def unsubscribe(token: str, call: OpenCall = tracked) -> Response:
    """One click (RFC 8058): the mail client POSTs `List-Unsubscribe=One-Click`; the
    confirm page's button posts here too. No session, no form token."""
    request = call.request
    found = verify_token(_secret(request), TokenKind.UNSUBSCRIBE, token)
    if found is None:
        return _public_page(
            request, "Link not found", "This link is broken or was changed.", status=404
        )
    message_id = found.message_id
    call.write(lambda uow: do_unsubscribe(message_id, uow=uow))
    return _public_page(request, "Unsubscribed", "You will not receive these emails any more.")
