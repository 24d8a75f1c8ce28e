"""Actions posted from a lead's process panel: run the use case, come back to the panel.

A refused action comes back to the lead page with the message beside the step
at fault (`perr`, `pfield`); a done one with a notice (`pdone`). Process moves
and the hand-over's actions (qualify, disqualify, accept...) share this path.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from fastapi.responses import RedirectResponse, Response

from leadflow.errors import LeadflowError
from leadflow.web.calls import PageCall, UseCase, see_other


def back_to_process(lead_id: int, **params: str | None) -> RedirectResponse:
    """The lead page, scrolled to its process panel, with the non-empty `params`."""
    kept = {key: value for key, value in params.items() if value}
    query = f"?{urlencode(kept)}" if kept else ""
    return see_other(f"/leads/{lead_id}{query}#process")


def refused_at(lead_id: int, stage: str | None = None) -> Callable[[LeadflowError], Response]:
    """The panel again, the error beside the step (or the stage) at fault."""
    return lambda exc: back_to_process(lead_id, stage=stage, perr=exc.message, pfield=exc.field)


def run_lead_action(
    call: PageCall,
    lead_id: int,
    action: UseCase[object],
    done: str,
    *,
    stage: str | None = None,
) -> Response:
    """Run `action`; back to the panel with `done`, or with the error at `stage`."""
    return call.run(
        action,
        done=lambda _: back_to_process(lead_id, pdone=done),
        failed=refused_at(lead_id, stage),
    )
