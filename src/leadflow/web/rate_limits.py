"""How often one address, and one form or event, may be submitted to the public capture
endpoints: the API's and the landing pages' alike."""

from __future__ import annotations

import time

from fastapi import Request

from leadflow.capture.errors import RateLimited
from leadflow.capture.guards import RateLimiter
from leadflow.web.auth import container_of


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def check_rate(request: Request, scope: str) -> None:
    """Count this public request per client address and per form/event; raise RateLimited."""
    state = request.app.state
    limiters: dict[str, RateLimiter] | None = getattr(state, "capture_limiters", None)
    if limiters is None:
        settings = container_of(request).settings
        limiters = {
            "ip": RateLimiter(settings.capture_ip_limit_per_minute),
            "target": RateLimiter(settings.capture_form_limit_per_minute),
        }
        state.capture_limiters = limiters
    now = time.monotonic()
    for name, key in (("ip", client_ip(request)), ("target", scope)):
        wait = limiters[name].hit(key, now)
        if wait is not None:
            what = "from your address" if name == "ip" else "to this form"
            raise RateLimited(f"Too many submissions {what}; retry in {wait} s", retry_after=wait)
