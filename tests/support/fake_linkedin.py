"""A local fake of LinkedIn's Lead Sync API: a real HTTP server in a thread.

It speaks the Marketing API's shapes (leadForms and leadFormResponses with
`q=owner`, `submittedAtTimeRange`, start/count paging, single reads by id),
refuses calls without the `LinkedIn-Version` and `X-Restli-Protocol-Version`
headers (400) or with an expired token (401), throttles on demand (429 with
Retry-After) or fails (5xx), and sends signed lead notifications to a webhook.

It is also LinkedIn's OAuth 2.0 server (`/oauth/v2/authorization` and
`/oauth/v2/accessToken`): it approves an authorization at once (or denies it on
demand) and sends the browser back with a one-use code, exchanges the code for an
access token and a refresh token, mints new access tokens from the refresh token
until it is revoked, and says how long each lives.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlencode

import httpx

OWNER = "urn:li:sponsoredAccount:5001"
# The LinkedIn app: its secret exchanges codes and signs the webhooks alike.
CLIENT_ID = "fake-client-id"
CLIENT_SECRET = "fake-client-secret"
LEAD_SYNC_SCOPES = ("r_marketing_leadgen_automation", "r_ads", "r_organization_admin")
_VERSION = re.compile(r"^\d{6}$")


def text_question(question_id: int, label: str, predefined: str | None = None) -> dict[str, Any]:
    item: dict[str, Any] = {
        "questionId": question_id,
        "name": (predefined or f"custom{question_id}").lower(),
        "question": {
            "localized": {"de_DE": label},
            "preferredLocale": {"language": "de", "country": "DE"},
        },
        "questionDetails": {"textQuestionDetails": {"maxResponseLength": 300}},
    }
    if predefined:
        item["predefinedField"] = predefined
    return item


def choice_question(question_id: int, label: str, options: dict[int, str]) -> dict[str, Any]:
    return {
        "questionId": question_id,
        "name": f"choice{question_id}",
        "question": {"localized": {"de_DE": label}},
        "questionDetails": {
            "multipleChoiceQuestionDetails": {
                "options": [
                    {"id": key, "text": {"localized": {"de_DE": value}}}
                    for key, value in options.items()
                ]
            }
        },
    }


def lead_form(
    form_id: int,
    name: str,
    questions: list[dict[str, Any]],
    *,
    hidden: dict[str, str] | None = None,
    consents: dict[int, str] | None = None,
    owner: str = OWNER,
) -> dict[str, Any]:
    return {
        "id": form_id,
        "name": name,
        "state": "PUBLISHED",
        "owner": {"sponsoredAccount": owner},
        "creationLocale": {"language": "de", "country": "DE"},
        "content": {
            "questions": questions,
            "hiddenFields": [{"name": k, "value": v} for k, v in (hidden or {}).items()],
            "legalInfo": {
                "consents": [
                    {"id": key, "consent": {"localized": {"de_DE": text}}, "required": False}
                    for key, text in (consents or {}).items()
                ]
            },
        },
    }


def response(
    response_id: str,
    form_id: int,
    submitted_at_ms: int,
    answers: dict[int, str | list[int]],
    *,
    consents: dict[int, bool] | None = None,
    campaign: int = 77,
    test_lead: bool = False,
    owner: str = OWNER,
) -> dict[str, Any]:
    rendered = []
    for question_id, value in answers.items():
        if isinstance(value, list):
            details: dict[str, Any] = {"multipleChoiceAnswer": {"options": value}}
        else:
            details = {"textQuestionAnswer": {"answer": value}}
        rendered.append({"questionId": question_id, "answerDetails": details})
    return {
        "id": response_id,
        "owner": {"sponsoredAccount": owner},
        "submitter": "urn:li:person:abc",
        "leadType": "SPONSORED",
        "versionedLeadGenFormUrn": f"urn:li:versionedLeadGenForm:(urn:li:leadGenForm:{form_id},1)",
        "submittedAt": submitted_at_ms,
        "testLead": test_lead,
        "leadMetadata": {
            "sponsoredLeadMetadata": {"campaign": f"urn:li:sponsoredCampaign:{campaign}"}
        },
        "associatedEntity": {"associatedCreative": "urn:li:sponsoredCreative:9"},
        "formResponse": {
            "answers": rendered,
            "consentResponses": [
                {"consentId": key, "accepted": value} for key, value in (consents or {}).items()
            ],
        },
    }


@dataclass
class FakeLinkedIn:
    """The server's state; tests change it between calls."""

    token: str = "good-token"
    forms: list[dict[str, Any]] = field(default_factory=list)
    responses: list[dict[str, Any]] = field(default_factory=list)
    # Campaign id -> name, for /rest/adAccounts/{account}/adCampaigns/{id}.
    campaigns: dict[str, str] = field(default_factory=dict)
    requests: list[dict[str, Any]] = field(default_factory=list)
    # Lead notification subscriptions created (POST /rest/leadNotifications).
    subscriptions: list[dict[str, Any]] = field(default_factory=list)
    # How many of the next calls answer 429 / 5xx.
    throttle: int = 0
    retry_after: str = "0"
    server_errors: int = 0
    server_status: int = 503
    expired: bool = False
    url: str = ""
    lock: threading.Lock = field(default_factory=threading.Lock)
    # OAuth: what an access and a refresh token live (seconds, as the token answer says).
    access_ttl: int = 5_184_000
    refresh_ttl: int = 31_536_000
    # An error LinkedIn's authorization page answers with instead of a code.
    deny: str | None = None
    # code -> the authorization it was issued for; used codes are removed.
    codes: dict[str, dict[str, str]] = field(default_factory=dict)
    # refresh token -> still good
    refresh_tokens: dict[str, bool] = field(default_factory=dict)
    # Every token request, the form as sent (grant_type, code or refresh_token...).
    grants: list[dict[str, str]] = field(default_factory=list)
    # When the access token minted last stops working (time.monotonic()).
    token_deadline: float | None = None

    def expire_token(self) -> None:
        self.expired = True

    def revoke_refresh_tokens(self) -> None:
        for token in self.refresh_tokens:
            self.refresh_tokens[token] = False

    # --- OAuth 2.0 (3-legged) --------------------------------------------------------

    def authorize(self, query: dict[str, str]) -> tuple[int, dict[str, str], Any]:
        """The member approves at once: back to redirect_uri with a code and the state."""
        with self.lock:
            self.requests.append({"path": "/oauth/v2/authorization", "query": query,
                                  "headers": {}, "method": "GET", "body": None})  # fmt: skip
            redirect = query.get("redirect_uri", "")
            scopes = set(query.get("scope", "").split())
            if (
                query.get("response_type") != "code"
                or query.get("client_id") != CLIENT_ID
                or not redirect.startswith(("http://", "https://"))
            ):
                return 400, {}, {"error": "invalid_request", "error_description": "bad request"}
            back: dict[str, str] = {}
            if self.deny:
                back = {"error": self.deny, "error_description": "The member said no"}
            elif not set(LEAD_SYNC_SCOPES) <= scopes:
                back = {"error": "unauthorized_scope_error", "error_description": "scopes"}
            else:
                code = secrets.token_urlsafe(16)
                self.codes[code] = {"redirect_uri": redirect, "scope": " ".join(sorted(scopes))}
                back = {"code": code}
            if "state" in query:
                back["state"] = query["state"]
            return 302, {"Location": f"{redirect}?{urlencode(back)}"}, {}

    def token_endpoint(self, form: dict[str, str]) -> tuple[int, dict[str, str], Any]:
        """POST /oauth/v2/accessToken: authorization_code and refresh_token grants."""
        with self.lock:
            self.grants.append(dict(form))
            if form.get("client_id") != CLIENT_ID or form.get("client_secret") != CLIENT_SECRET:
                return 401, {}, {"error": "invalid_client", "error_description": "Client auth"}
            kind = form.get("grant_type")
            if kind == "authorization_code":
                issued = self.codes.pop(form.get("code", ""), None)
                if issued is None or issued["redirect_uri"] != form.get("redirect_uri"):
                    return 400, {}, {
                        "error": "invalid_request",
                        "error_description": "Unable to retrieve access token: authorization "
                        "code not found",
                    }  # fmt: skip
                refresh = secrets.token_urlsafe(24)
                self.refresh_tokens[refresh] = True
                return 200, {}, self._issue(refresh, issued["scope"])
            if kind == "refresh_token":
                refresh = form.get("refresh_token", "")
                if not self.refresh_tokens.get(refresh):
                    return 400, {}, {
                        "error": "invalid_grant",
                        "error_description": "The provided authorization grant or refresh "
                        "token is invalid, expired or revoked",
                    }  # fmt: skip
                return 200, {}, self._issue(refresh, " ".join(LEAD_SYNC_SCOPES))
            return 400, {}, {"error": "unsupported_grant_type", "error_description": str(kind)}

    def _issue(self, refresh: str, scope: str) -> dict[str, Any]:
        # The new access token is the one the API accepts from now on.
        self.token = f"at-{secrets.token_urlsafe(12)}"
        self.expired = False
        self.token_deadline = time.monotonic() + self.access_ttl
        return {
            "access_token": self.token,
            "expires_in": self.access_ttl,
            "refresh_token": refresh,
            "refresh_token_expires_in": self.refresh_ttl,
            "scope": scope,
        }

    def renew_token(self, token: str) -> None:
        self.token = token
        self.expired = False

    def paths(self, prefix: str = "/rest/leadFormResponses") -> list[dict[str, Any]]:
        return [item for item in self.requests if item["path"].startswith(prefix)]

    # --- webhooks ------------------------------------------------------------------

    def notify(
        self,
        webhook_url: str,
        response_id: str,
        *,
        action: str = "CREATED",
        secret: str = CLIENT_SECRET,
        form_id: int = 1,
    ) -> httpx.Response:
        """POST a signed lead notification, as LinkedIn does, to leadflow's webhook."""
        body = json.dumps(
            {
                "type": "LEAD_ACTION",
                "leadGenFormResponse": f"urn:li:leadGenFormResponse:{response_id}",
                "owner": {"sponsoredAccount": OWNER},
                "leadGenForm": f"urn:li:versionedLeadGenForm:(urn:li:leadGenForm:{form_id},1)",
                "leadType": "SPONSORED",
                "leadAction": action,
                "occurredAt": 1_700_000_000_000,
            }
        ).encode()
        signature = hmac.new(secret.encode(), b"hmacsha256=" + body, hashlib.sha256).hexdigest()
        return httpx.post(
            webhook_url,
            content=body,
            headers={"Content-Type": "application/json", "X-LI-Signature": signature},
            timeout=30,
        )

    def validate(self, webhook_url: str, code: str = "4f8a3b2c-challenge") -> tuple[bool, Any]:
        """LinkedIn's endpoint validation: GET ?challengeCode=, check the HMAC answer."""
        answer = httpx.get(webhook_url, params={"challengeCode": code}, timeout=30)
        expected = hmac.new(CLIENT_SECRET.encode(), code.encode(), hashlib.sha256).hexdigest()
        body = answer.json()
        return answer.status_code == 200 and body.get("challengeResponse") == expected, body

    # --- answering -----------------------------------------------------------------

    def answer(
        self,
        path: str,
        query: dict[str, str],
        headers: dict[str, str],
        body: Any = None,
        method: str = "GET",
    ) -> tuple[int, dict[str, str], Any]:
        with self.lock:
            self.requests.append(
                {"path": path, "query": query, "headers": headers, "method": method, "body": body}
            )
            if headers.get("x-restli-protocol-version") != "2.0.0" or not _VERSION.match(
                headers.get("linkedin-version", "")
            ):
                return 400, {}, {"status": 400, "message": "missing or bad version headers"}
            if self.token_deadline is not None and time.monotonic() >= self.token_deadline:
                self.expired = True
            if self.expired or headers.get("authorization") != f"Bearer {self.token}":
                return (
                    401,
                    {},
                    {
                        "status": 401,
                        "serviceErrorCode": 65601,
                        "code": "REVOKED_ACCESS_TOKEN"
                        if not self.expired
                        else "EXPIRED_ACCESS_TOKEN",
                        "message": "The token used in the request has expired",
                    },
                )
            if self.throttle > 0:
                self.throttle -= 1
                return (
                    429,
                    {"Retry-After": self.retry_after},
                    {"status": 429, "message": "Resource level throttle limit reached"},
                )
            if self.server_errors > 0:
                self.server_errors -= 1
                return (
                    self.server_status,
                    {},
                    {"status": self.server_status, "message": "Internal error"},
                )
            if method == "POST":
                return self._create(path, body)
            if method == "DELETE":
                return self._delete(path)
            return self._route(path, query)

    def _delete(self, path: str) -> tuple[int, dict[str, str], Any]:
        wanted = unquote(path.rsplit("/", 1)[-1])
        if not path.startswith("/rest/leadNotifications/"):
            return 404, {}, {"status": 404, "message": f"no route {path}"}
        kept = [item for item in self.subscriptions if item["id"] != wanted]
        if len(kept) == len(self.subscriptions):
            return 404, {}, {"status": 404, "message": "no such subscription"}
        self.subscriptions[:] = kept
        return 204, {}, None

    def _create(self, path: str, body: Any) -> tuple[int, dict[str, str], Any]:
        if path.startswith("/rest/leadNotifications/"):
            return 404, {}, {"status": 404, "message": "POST to a subscription"}
        if path != "/rest/leadNotifications":
            return 404, {}, {"status": 404, "message": f"no route {path}"}
        owner = (body or {}).get("owner") or {}
        if (
            not isinstance(body, dict)
            or not str(body.get("webhook", "")).startswith(("http://", "https://"))
            or body.get("leadType") not in ("SPONSORED", "ORGANIZATION_PRODUCT", "EVENT")
            or not (owner.get("sponsoredAccount") or owner.get("organization"))
        ):
            return 400, {}, {"status": 400, "message": "webhook, owner and leadType are required"}
        subscription_id = str(7000 + len(self.subscriptions))
        self.subscriptions.append({"id": subscription_id, **body})
        return 201, {"x-restli-id": subscription_id}, {}

    def _route(self, path: str, query: dict[str, str]) -> tuple[int, dict[str, str], Any]:
        start = int(query.get("start", "0"))
        count = int(query.get("count", "10"))
        if path == "/rest/leadForms":
            owner = _owner(query.get("owner", ""))
            found = [item for item in self.forms if item["owner"]["sponsoredAccount"] == owner]
            return 200, {}, _paged(found, start, count)
        if path.startswith("/rest/leadForms/"):
            wanted = unquote(path.rsplit("/", 1)[1])
            for item in self.forms:
                if str(item["id"]) == wanted:
                    return 200, {}, item
            return 404, {}, {"status": 404, "message": "no such form"}
        if path == "/rest/leadFormResponses":
            if query.get("q") != "owner" or query.get("leadType") != "(leadType:SPONSORED)":
                return 400, {}, {"status": 400, "message": "q=owner and leadType are required"}
            owner = _owner(query.get("owner", ""))
            window = re.fullmatch(
                r"\(start:(\d+),end:(\d+)\)", query.get("submittedAtTimeRange", "")
            )
            if window is None:
                return 400, {}, {"status": 400, "message": "bad submittedAtTimeRange"}
            low, high = int(window.group(1)), int(window.group(2))
            found = sorted(
                (
                    item
                    for item in self.responses
                    if item["owner"]["sponsoredAccount"] == owner
                    and low <= item["submittedAt"] <= high
                ),
                key=lambda item: (item["submittedAt"], item["id"]),
            )
            return 200, {}, _paged(found, start, count)
        campaign = re.fullmatch(r"/rest/adAccounts/(\d+)/adCampaigns/(\d+)", path)
        if campaign is not None:
            if f"urn:li:sponsoredAccount:{campaign.group(1)}" != OWNER:
                return 403, {}, {"status": 403, "message": "not your ad account"}
            name = self.campaigns.get(campaign.group(2))
            if name is None:
                return 404, {}, {"status": 404, "message": "no such campaign"}
            return 200, {}, {"id": int(campaign.group(2)), "name": name, "status": "ACTIVE"}
        if path.startswith("/rest/leadFormResponses/"):
            wanted = unquote(path.rsplit("/", 1)[1])
            for item in self.responses:
                if item["id"] == wanted:
                    return 200, {}, item
            return 404, {}, {"status": 404, "message": "no such response"}
        return 404, {}, {"status": 404, "message": f"no route {path}"}


def _owner(raw: str) -> str:
    matched = re.fullmatch(r"\((?:sponsoredAccount|organization):(.+)\)", unquote(raw))
    return matched.group(1) if matched else ""


def _paged(items: list[dict[str, Any]], start: int, count: int) -> dict[str, Any]:
    return {
        "elements": items[start : start + count],
        "paging": {"start": start, "count": count, "total": len(items), "links": []},
    }


def _form(raw: str) -> dict[str, str]:
    """A URL-encoded query or form body (OAuth's), every value decoded."""
    return {key: values[0] for key, values in parse_qs(raw, keep_blank_values=True).items()}


def _query(raw: str) -> dict[str, str]:
    # Rest.li values keep their parentheses; only the outer split is by & and =.
    pairs = (part.split("=", 1) for part in raw.split("&") if part)
    return {
        key: value for key, value in (pair if len(pair) == 2 else (pair[0], "") for pair in pairs)
    }


@contextmanager
def fake_linkedin() -> Iterator[FakeLinkedIn]:
    state = FakeLinkedIn()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            path, _, raw = self.path.partition("?")
            headers = {key.lower(): value for key, value in self.headers.items()}
            if path == "/oauth/v2/authorization":
                self._send(*state.authorize(_form(raw)))
                return
            self._send(*state.answer(path, _query(raw), headers))

        def do_POST(self) -> None:
            path, _, raw = self.path.partition("?")
            headers = {key.lower(): value for key, value in self.headers.items()}
            length = int(self.headers.get("Content-Length") or 0)
            content = self.rfile.read(length)
            if path == "/oauth/v2/accessToken":
                self._send(*state.token_endpoint(_form(content.decode())))
                return
            try:
                sent = json.loads(content or b"null")
            except ValueError:
                sent = None
            self._send(*state.answer(path, _query(raw), headers, sent, "POST"))

        def do_DELETE(self) -> None:
            path, _, raw = self.path.partition("?")
            headers = {key.lower(): value for key, value in self.headers.items()}
            self._send(*state.answer(path, _query(raw), headers, None, "DELETE"))

        def _send(self, status: int, extra: dict[str, str], body: Any) -> None:
            data = b"" if status == 204 else json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for key, value in extra.items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    # serve_forever looks for shutdown() every poll_interval (0.5 s by default): half
    # a second at the end of each of the 170 tests using the fake.
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
