"""Pure rules of emails: merge fields, rendering, the text part, tracking tokens, Message-IDs.

Templates are user input. They render in jinja2's SandboxedEnvironment, and the only
names they see are the dicts passed in (`contact`, `account`, `lead`, `message`): an
attribute of anything is looked up as a key of those dicts, never as a Python
attribute, and an unknown name renders empty. Tokens in tracking and unsubscribe links
are signed with HMAC-SHA256 under the app's secret, so a forged or edited link verifies
as nothing.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass
from email import message_from_bytes
from email.policy import default as default_policy
from enum import StrEnum
from functools import lru_cache
from html import escape, unescape
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlsplit

import css_inline
from jinja2 import ChainableUndefined, TemplateSyntaxError
from jinja2.nodes import Template as TemplateNode
from jinja2.runtime import Context
from jinja2.sandbox import SandboxedEnvironment

from leadflow.emails.errors import TemplateInvalid


class MessageStatus(StrEnum):
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    SKIPPED = "skipped"
    FAILED = "failed"
    BOUNCED = "bounced"


class SkipReason(StrEnum):
    DO_NOT_EMAIL = "do_not_email"
    NO_CONSENT = "no_consent"
    NO_ADDRESS = "no_address"


# Consent levels from least to most; a message may ask for a minimum.
CONSENT_ORDER = ("none", "transactional", "marketing", "profiling")
MERGE_ENTITIES = ("contact", "account", "lead")
MAX_TEMPLATE_CHARS = 200_000


def consent_rank(level: str | None) -> int:
    try:
        return CONSENT_ORDER.index(level or "none")
    except ValueError:
        return 0


def skip_reason(
    *, address: str | None, do_not_email: bool, consent: str | None, minimum: str | None
) -> SkipReason | None:
    """Why a message must not go to this contact now (None: it may)."""
    if do_not_email:
        return SkipReason.DO_NOT_EMAIL
    if minimum is not None and consent_rank(consent) < consent_rank(minimum):
        return SkipReason.NO_CONSENT
    if not address:
        return SkipReason.NO_ADDRESS
    return None


# --- the sandbox --------------------------------------------------------------------------


class _MergeSandbox(SandboxedEnvironment):
    """Attributes are keys of the dicts given; nothing else is reachable."""

    def getattr(self, obj: Any, attribute: str) -> Any:
        if isinstance(obj, Mapping) and attribute in obj:
            return obj[attribute]
        return self.undefined(obj=obj, name=attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        if isinstance(obj, Mapping) and isinstance(argument, str) and argument in obj:
            return obj[argument]
        return self.undefined(obj=obj, name=str(argument))

    def call(
        __self,
        __context: Context,
        __obj: Any,
        *args: Any,
        **kwargs: Any,
    ) -> Any:
        # Filters and tests are not calls; a template calling anything is refused quietly.
        return __self.undefined(name="call")


def _environment(autoescape: bool) -> _MergeSandbox:
    env = _MergeSandbox(autoescape=autoescape, undefined=ChainableUndefined)
    env.globals.clear()
    return env


HTML_ENV = _environment(True)
TEXT_ENV = _environment(False)


@dataclass(frozen=True)
class TemplateSource:
    """The parts of an email template as written."""

    subject: str
    html_body: str
    text_body: str | None = None


def check_template(field: str, source: str, *, html: bool = False) -> None:
    """Parse one part; a syntax error is a 422 naming the field and its line."""
    if len(source) > MAX_TEMPLATE_CHARS:
        raise TemplateInvalid(
            f"{field} is longer than {MAX_TEMPLATE_CHARS} characters", field=field
        )
    env = HTML_ENV if html else TEXT_ENV
    try:
        parsed: TemplateNode = env.parse(source)
    except TemplateSyntaxError as exc:
        raise TemplateInvalid(
            f"{field} line {exc.lineno}: {exc.message}", field=field, line=exc.lineno
        ) from None
    del parsed


def check_source(source: TemplateSource) -> None:
    check_template("subject", source.subject)
    check_template("html_body", source.html_body, html=True)
    if source.text_body:
        check_template("text_body", source.text_body)


@dataclass(frozen=True)
class Compiled:
    """A template compiled once; each message only merges its contact's values."""

    subject: Any
    html: Any
    text: Any

    def render(self, values: Mapping[str, Any]) -> tuple[str, str, str]:
        subject = " ".join(str(self.subject.render(values)).split())
        return subject, str(self.html.render(values)), str(self.text.render(values))


def compile_source(source: TemplateSource) -> Compiled:
    check_source(source)
    text_source = source.text_body or html_to_text(source.html_body)
    return Compiled(
        subject=TEXT_ENV.from_string(source.subject),
        html=HTML_ENV.from_string(source.html_body),
        text=TEXT_ENV.from_string(text_source),
    )


def merge_values(
    contact: Mapping[str, Any], account: Mapping[str, Any], lead: Mapping[str, Any]
) -> dict[str, dict[str, Any]]:
    """The names a template sees. Empty values are left out, so `default(...)` applies."""

    def present(values: Mapping[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in values.items() if v is not None and v != ""}

    return {"contact": present(contact), "account": present(account), "lead": present(lead)}


# --- HTML: text part, inlining, links, footer ----------------------------------------------


class _TextParser(HTMLParser):
    BLOCKS = frozenset(
        {"p", "div", "br", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "table", "hr", "ul", "ol"}
    )
    SKIP = frozenset({"style", "script", "head", "title"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0
        self._href: list[str | None] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.SKIP:
            self._skip += 1
        elif tag in self.BLOCKS:
            self.parts.append("\n")
        if tag == "li":
            self.parts.append("\n- ")
        if tag == "a":
            self._href.append(dict(attrs).get("href"))

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIP:
            self._skip = max(0, self._skip - 1)
        elif tag in self.BLOCKS:
            self.parts.append("\n")
        if tag == "a" and self._href:
            href = self._href.pop()
            if href and not href.startswith(("mailto:", "#")):
                self.parts.append(f" ({href})")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    """A readable plain-text part: blocks become lines, links keep their address."""
    parser = _TextParser()
    parser.feed(html)
    parser.close()
    lines = [" ".join(line.split()) for line in "".join(parser.parts).splitlines()]
    text = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"


_INLINER = css_inline.CSSInliner(keep_style_tags=False, load_remote_stylesheets=False)


def inline_css(html: str) -> str:
    """Move <style> rules into style attributes: many mail clients ignore <style>."""
    return str(_INLINER.inline(html))


_HREF = re.compile(r"""(<a\b[^>]*?\bhref\s*=\s*)(["'])(.*?)\2""", re.IGNORECASE | re.DOTALL)


def tracked_links(html: str, wrap: Any) -> tuple[str, list[str]]:
    """Every http(s) link replaced by `wrap(index, url)`; returns the HTML and the links."""
    links: list[str] = []

    def replace(match: re.Match[str]) -> str:
        url = unescape(match.group(3)).strip()
        if urlsplit(url).scheme not in ("http", "https"):
            return match.group(0)
        links.append(url)
        wrapped = escape(str(wrap(len(links) - 1, url)), quote=True)
        return f"{match.group(1)}{match.group(2)}{wrapped}{match.group(2)}"

    return _HREF.sub(replace, html), links


def with_footer(
    html: str, text: str, *, unsubscribe_url: str, pixel_url: str | None
) -> tuple[str, str]:
    """The unsubscribe footer (and the open pixel) added to both parts."""
    link = escape(unsubscribe_url, quote=True)
    footer = (
        '<p style="font-size:12px;color:#666666;margin-top:24px">'
        "You receive this email because you are in our contacts. "
        f'<a href="{link}" style="color:#666666">Unsubscribe</a></p>'
    )
    if pixel_url:
        footer += (
            f'<img src="{escape(pixel_url, quote=True)}" width="1" height="1" alt="" '
            'style="display:block;border:0;width:1px;height:1px">'
        )
    lowered = html.lower()
    at = lowered.rfind("</body>")
    html = html[:at] + footer + html[at:] if at >= 0 else html + footer
    text = text.rstrip("\n") + f"\n\n--\nUnsubscribe: {unsubscribe_url}\n"
    return html, text


# --- tokens and identifiers -----------------------------------------------------------------


class TokenKind(StrEnum):
    OPEN = "o"
    CLICK = "c"
    UNSUBSCRIBE = "u"


@dataclass(frozen=True)
class Token:
    kind: TokenKind
    message_id: int
    link: int | None = None
    url: str | None = None


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@lru_cache(maxsize=16)
def _key(secret: str, kind: str) -> bytes:
    # One key per kind of link: an open token is no click token.
    return hashlib.sha256(f"leadflow.emails.{kind}:{secret}".encode()).digest()


def _mac(secret: str, kind: str, body: bytes) -> bytes:
    return hmac.new(_key(secret, kind), body, hashlib.sha256).digest()[:16]


def sign_token(secret: str, token: Token) -> str:
    """`<body>.<mac>`, both base64url: the body holds the message id, the link's index
    and its address, one a line (an address holds no line break)."""
    link = "" if token.link is None else str(token.link)
    url = token.url or ""
    body = f"{token.message_id}\n{link}\n{url}".encode()
    return f"{_b64(body)}.{_b64(_mac(secret, token.kind.value, body))}"


def verify_token(secret: str, kind: TokenKind, text: str) -> Token | None:
    """The token's content when its signature holds for this kind; None otherwise."""
    try:
        body_text, mac_text = text.split(".", 1)
        body = _unb64(body_text)
        given = _unb64(mac_text)
    except (ValueError, UnicodeEncodeError):
        return None
    if not hmac.compare_digest(given, _mac(secret, kind.value, body)):
        return None
    try:
        message_text, link_text, url = body.decode().split("\n", 2)
        message_id = int(message_text)
        link = int(link_text) if link_text else None
    except (ValueError, UnicodeDecodeError):
        return None
    return Token(kind, message_id, link, url or None)


def message_id_header(idempotency_key: str, from_address: str) -> str:
    """The Message-ID: the same key always gives the same id, so a receiver that sees
    one message twice can tell."""
    digest = hashlib.sha256(idempotency_key.encode()).hexdigest()[:40]
    domain = from_address.rpartition("@")[2] or "leadflow.invalid"
    return f"<{digest}@{domain}>"


@dataclass(frozen=True)
class Caught:
    """One message as the server received it."""

    mail_from: str
    recipients: tuple[str, ...]
    data: bytes

    @property
    def headers(self) -> Any:
        return message_from_bytes(self.data, policy=default_policy)
