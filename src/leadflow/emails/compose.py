"""Composing messages: merge values loaded set-based, a template rendered for a contact,
tracking links and the unsubscribe footer added, and the MIME message built.

A template compiles once per version (`compiled`); each message merges its
contact's values into it.
"""

from __future__ import annotations

import re
import uuid
from base64 import b64encode
from binascii import b2a_qp
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from email.utils import format_datetime, formataddr
from functools import lru_cache
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from leadflow.emails.domain import (
    Compiled,
    TemplateSource,
    Token,
    TokenKind,
    compile_source,
    inline_css,
    merge_values,
    sign_token,
    tracked_links,
    with_footer,
)
from leadflow.emails.models import EmailTemplate
from leadflow.lib.clock import utcnow
from leadflow.records.values import CUSTOM_KEY, to_public
from leadflow.registry.domain import Registry
from leadflow.registry.sql import table_for

CHUNK = 1000


@dataclass(frozen=True)
class Links:
    """How this installation's tracking and unsubscribe links look."""

    public_url: str
    secret: str

    def _url(self, path: str, token: Token) -> str:
        return f"{self.public_url.rstrip('/')}/{path}/{sign_token(self.secret, token)}"

    def open(self, message_id: int) -> str:
        return self._url("t/o", Token(TokenKind.OPEN, message_id))

    def click(self, message_id: int, index: int, url: str) -> str:
        return self._url("t/c", Token(TokenKind.CLICK, message_id, index, url))

    def unsubscribe(self, message_id: int) -> str:
        return self._url("u", Token(TokenKind.UNSUBSCRIBE, message_id))


@dataclass(frozen=True)
class Rendered:
    subject: str
    html: str
    text: str
    links: tuple[str, ...] = ()


def source_of(template: EmailTemplate) -> TemplateSource:
    return TemplateSource(template.subject, template.html_body, template.text_body)


@lru_cache(maxsize=64)
def _compiled(template_id: int, version: str, source: TemplateSource) -> Compiled:
    return compile_source(source)


def compiled(template: EmailTemplate) -> Compiled:
    return _compiled(template.id, template.updated_at.isoformat(), source_of(template))


def render(
    template: Compiled,
    values: Mapping[str, Any],
    *,
    links: Links | None,
    message_id: int | None,
    unsubscribe_url: str | None = None,
) -> Rendered:
    """The message's subject, HTML and text; with a message id its links are tracked,
    the open pixel added and the footer's unsubscribe link signed."""
    subject, html, text = template.render(values)
    found: list[str] = []
    if links is not None and message_id is not None:
        html, found = tracked_links(html, lambda i, url: links.click(message_id, i, url))
        html, text = with_footer(
            html,
            text,
            unsubscribe_url=unsubscribe_url or links.unsubscribe(message_id),
            pixel_url=links.open(message_id),
        )
    else:
        public = links.public_url.rstrip("/") if links else ""
        html, text = with_footer(html, text, unsubscribe_url=f"{public}/u/preview", pixel_url=None)
    return Rendered(subject, inline_css(html), text, tuple(found))


def _encoded_word(value: str) -> str:
    """A header value as RFC 2047 encoded words when it is not plain ASCII."""
    value = " ".join(value.split())
    if value.isascii() and len(value) <= 900:
        return value
    data = value.encode("utf-8")
    words = []
    start = 0
    while start < len(data):
        end = min(len(data), start + 45)
        while end < len(data) and (data[end] & 0xC0) == 0x80:
            end -= 1  # never split a character
        words.append(f"=?utf-8?b?{b64encode(data[start:end]).decode('ascii')}?=")
        start = end
    return "\r\n ".join(words)


def _part(content_type: str, text: str) -> bytes:
    body = b2a_qp(text.replace("\r\n", "\n").encode("utf-8"), istext=True)
    return (
        f"Content-Type: {content_type}; charset=utf-8\r\n"
        "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
    ).encode("ascii") + body.replace(b"\n", b"\r\n")


def mime_bytes(
    rendered: Rendered,
    *,
    from_name: str,
    from_address: str,
    to_address: str,
    reply_to: str | None,
    message_id: str,
    unsubscribe_url: str | None,
) -> bytes:
    """The RFC 5322 message: text and HTML alternatives (quoted-printable UTF-8),
    List-Unsubscribe with one-click (RFC 8058). Assembled directly: the email
    package's header objects cost several milliseconds a message."""
    boundary = f"=_lf_{uuid.uuid4().hex}"
    headers = [
        f"From: {formataddr((' '.join(from_name.split()), from_address))}",
        f"To: {to_address}",
        f"Subject: {_encoded_word(rendered.subject)}",
        f"Date: {format_datetime(utcnow())}",
        f"Message-ID: {message_id}",
    ]
    if reply_to:
        headers.append(f"Reply-To: {reply_to}")
    if unsubscribe_url:
        headers.append(f"List-Unsubscribe: <{unsubscribe_url}>")
        headers.append("List-Unsubscribe-Post: List-Unsubscribe=One-Click")
    headers.append("MIME-Version: 1.0")
    headers.append(f'Content-Type: multipart/alternative; boundary="{boundary}"')
    separator = f"\r\n--{boundary}\r\n".encode("ascii")
    return b"".join(
        (
            "\r\n".join(headers).encode("utf-8"),
            b"\r\n\r\nThis is a multipart message in MIME format.",
            separator,
            _part("text/plain", rendered.text),
            separator,
            _part("text/html", rendered.html),
            f"\r\n--{boundary}--\r\n".encode("ascii"),
        )
    )


# Contacts' addresses were checked when written; this only keeps anything that could break
# the envelope or a header (spaces, line breaks, brackets) from going out.
_ADDRESS = re.compile(r"^[^@\s<>,;:\"()\[\]\\]+@[^@\s<>,;:\"()\[\]\\]+\.[^@\s<>,;:\"()\[\]\\]+$")


def valid_address(value: str) -> bool:
    return len(value) <= 320 and _ADDRESS.match(value) is not None


# --- merge values -------------------------------------------------------------------------


def _flat(row: Mapping[Any, Any], registry: Registry, entity: str) -> dict[str, Any]:
    public = to_public(row, registry, entity)
    custom = public.pop(CUSTOM_KEY, None) or {}
    return {**public, **custom}


def merge_values_for(
    session: Session, registry: Registry, contact_ids: Collection[int]
) -> dict[int, dict[str, dict[str, Any]]]:
    """What each contact's messages merge: its fields, its account's and its latest lead's."""
    contacts = table_for("contact")
    accounts = table_for("account")
    leads = table_for("lead")
    found: dict[int, dict[str, dict[str, Any]]] = {}
    ordered = sorted(set(contact_ids))
    for start in range(0, len(ordered), CHUNK):
        chunk = ordered[start : start + CHUNK]
        contact_rows = {
            row["id"]: row
            for row in session.execute(select(contacts).where(contacts.c.id.in_(chunk))).mappings()
        }
        account_ids = {row["account_id"] for row in contact_rows.values() if row["account_id"]}
        account_rows = (
            {
                row["id"]: row
                for row in session.execute(
                    select(accounts).where(accounts.c.id.in_(sorted(account_ids)))
                ).mappings()
            }
            if account_ids
            else {}
        )
        latest = (
            select(func.max(leads.c.id))
            .where(leads.c.parent_contact_id.in_(chunk))
            .group_by(leads.c.parent_contact_id)
        )
        lead_rows = {
            row["parent_contact_id"]: row
            for row in session.execute(select(leads).where(leads.c.id.in_(latest))).mappings()
        }
        for contact_id, row in contact_rows.items():
            account = account_rows.get(row["account_id"])
            lead = lead_rows.get(contact_id)
            found[contact_id] = merge_values(
                _flat(row, registry, "contact"),
                _flat(account, registry, "account") if account else {},
                _flat(lead, registry, "lead") if lead else {},
            )
    return found


_NOT_MERGED = frozenset({"id", "created_at", "updated_at", "merged_into_id", "phone_raw"})


def merge_fields(registry: Registry) -> list[tuple[str, str]]:
    """The merge fields a template may use: (`contact.first_name`, "Contact: First name")."""
    fields: list[tuple[str, str]] = []
    for entity in ("contact", "account", "lead"):
        label = registry.entity(entity).label
        for definition in registry.fields_of(entity):
            if definition.derived or definition.name in _NOT_MERGED:
                continue
            fields.append((f"{entity}.{definition.name}", f"{label}: {definition.label}"))
    return fields
