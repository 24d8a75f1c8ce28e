"""Refuses bodies over the route's limit with 413, however they are sent.

A declared Content-Length over the limit is refused before anything is read.
Otherwise (chunked, or a length that lies) the body is read here up to the
limit and handed to the app whole: counting inside the app's `receive` would
raise in the middle of FastAPI's body parsing, which turns it into a 400.
"""

from __future__ import annotations

import re

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from leadflow.errors import PayloadTooLarge
from leadflow.web.errors import problem_response

# Routes that legitimately take large bodies (a 10,000-interaction batch).
LARGE_BODY_PATHS = ("/api/v1/interactions/batch",)
# Machine intake beside the public capture endpoints: senders that do not look at
# the consequences of what they send.
INTAKE_PATHS = ("/api/v1/interactions", *LARGE_BODY_PATHS)
# Public capture endpoints (anyone on the internet may post): a tight 64 KiB.
PUBLIC_BODY_LIMIT = 64 * 1024
PUBLIC_BODY_PATHS = re.compile(
    r"^/(p/[^/]+|e/\d+|api/v1/forms/\d+/submissions|api/v1/events/\d+/registrations)/?$"
)


def is_intake(path: str) -> bool:
    """Capture (public forms, landing pages, registrations) and interaction intake."""
    return path.rstrip("/") in INTAKE_PATHS or PUBLIC_BODY_PATHS.match(path) is not None


def body_limit_for(path: str, max_bytes: int, max_batch_bytes: int) -> int:
    if path in LARGE_BODY_PATHS:
        return max_batch_bytes
    if PUBLIC_BODY_PATHS.match(path):
        return min(max_bytes, PUBLIC_BODY_LIMIT)
    return max_bytes


class BodySizeLimit:
    def __init__(self, app: ASGIApp, *, max_bytes: int, max_batch_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.max_batch_bytes = max_batch_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        limit = body_limit_for(path, self.max_bytes, self.max_batch_bytes)
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await self._refuse(scope, receive, send, limit)
            return
        body = bytearray()
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away before sending its body
            body += message.get("body", b"")
            if len(body) > limit:
                await self._refuse(scope, receive, send, limit)
                return
            if not message.get("more_body", False):
                break
        await self.app(scope, _replay(bytes(body), receive), send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        error = PayloadTooLarge(f"The body is larger than {limit} bytes", field="body")
        response = problem_response(error)
        await response(scope, receive, send)


def _replay(body: bytes, receive: Receive) -> Receive:
    """A `receive` that gives the whole body once, then waits on the client (disconnect)."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay
