"""A local fake of LinkedIn's Lead Sync API: a real HTTP server in a thread.

It speaks the Marketing API's shapes (leadForms and leadFormResponses with
`q=owner`, `submittedAtTimeRange`, start/count paging, single reads by id),
refuses calls without the `LinkedIn-Version` and `X-Restli-Protocol-Version`
headers (400) or with an expired token (401), throttles on demand (429 with
Retry-After) or fails (5xx), and sends signed lead notifications to a webhook.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote

import httpx

OWNER = "urn:li:sponsoredAccount:5001"
CLIENT_SECRET = "fake-client-secret"
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

    def expire_token(self) -> None:
        self.expired = True

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
            return self._route(path, query)

    def _create(self, path: str, body: Any) -> tuple[int, dict[str, str], Any]:
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
            status, extra, body = state.answer(path, _query(raw), headers)
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for key, value in extra.items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:
            path, _, raw = self.path.partition("?")
            headers = {key.lower(): value for key, value in self.headers.items()}
            length = int(self.headers.get("Content-Length") or 0)
            try:
                sent = json.loads(self.rfile.read(length) or b"null")
            except ValueError:
                sent = None
            status, extra, body = state.answer(path, _query(raw), headers, sent, "POST")
            data = json.dumps(body).encode()
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
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
