"""Composing messages: merge values loaded set-based, a template rendered for a contact,
tracking links and the unsubscribe footer added, and the MIME message built.

A template compiles once per version (`compiled`); each message merges its
contact's values into it.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage as MimeMessage
from email.policy import SMTP
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
from leadflow.lib.records import CUSTOM_KEY, to_public
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
            unsubscribe_url=links.unsubscribe(message_id),
            pixel_url=links.open(message_id),
        )
    else:
        public = links.public_url.rstrip("/") if links else ""
        html, text = with_footer(html, text, unsubscribe_url=f"{public}/u/preview", pixel_url=None)
    return Rendered(subject, inline_css(html), text, tuple(found))


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
    """The RFC 5322 message: text and HTML alternatives, List-Unsubscribe (RFC 8058)."""
    mime = MimeMessage(policy=SMTP)
    mime["From"] = formataddr((from_name, from_address))
    mime["To"] = to_address
    mime["Subject"] = rendered.subject
    mime["Date"] = format_datetime(utcnow())
    mime["Message-ID"] = message_id
    if reply_to:
        mime["Reply-To"] = reply_to
    if unsubscribe_url:
        mime["List-Unsubscribe"] = f"<{unsubscribe_url}>"
        mime["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    mime.set_content(rendered.text)
    mime.add_alternative(rendered.html, subtype="html")
    return mime.as_bytes()


def valid_address(value: str) -> bool:
    try:
        Address(addr_spec=value)
    except (ValueError, IndexError):
        return False
    return "@" in value


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


def merge_fields(registry: Registry) -> list[tuple[str, str]]:
    """The merge fields a template may use: (`contact.first_name`, "Contact: First name")."""
    fields: list[tuple[str, str]] = []
    for entity in ("contact", "account", "lead"):
        label = registry.entity(entity).label
        for definition in registry.fields_of(entity):
            if definition.derived or definition.name in ("merged_into_id", "phone_raw"):
                continue
            fields.append((f"{entity}.{definition.name}", f"{label}: {definition.label}"))
    return fields
