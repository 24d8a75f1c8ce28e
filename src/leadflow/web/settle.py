"""A person sees what they did: writes wait briefly for their own events' effects.

After a write (a lead marked sales-ready, a stage set by hand), the answer is
held until the relay has handled the events that write stored and whatever
their handlers published about the same records (the new stage, the queue
task), for at most `timeout` seconds, so the next page already shows them.
Intake at volume (capture, interaction batches) never waits.
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from leadflow.outbox import OutboxRelay, tracking_writes
from leadflow.web.limits import is_intake

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
SETTLE_SECONDS = 3.0


class SettleOwnWrites:
    def __init__(self, app: ASGIApp, *, relay: OutboxRelay, timeout: float = SETTLE_SECONDS):
        self.app = app
        self.relay = relay
        self.timeout = timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            self.timeout <= 0
            or scope["type"] != "http"
            or scope.get("method") not in WRITE_METHODS
            or is_intake(scope.get("path", ""))
        ):
            await self.app(scope, receive, send)
            return
        with tracking_writes() as writes:

            async def send_when_settled(message: Message) -> None:
                if message["type"] == "http.response.start" and writes:
                    await run_in_threadpool(self.relay.settle, writes, timeout=self.timeout)
                await send(message)

            await self.app(scope, receive, send_when_settled)
