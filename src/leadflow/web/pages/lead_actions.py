"""Actions posted from a lead's process panel: run the use case, come back to the panel.

A refused action comes back to the lead page with the message beside the step
at fault (`perr`, `pfield`); a done one with a notice (`pdone`). Process moves
and the hand-over's actions (qualify, disqualify, accept...) share this path.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import RedirectResponse

from leadflow.db.uow import UnitOfWork
from leadflow.errors import LeadflowError
from leadflow.web.auth import container_of

# A lead action: the use case run in the unit of work it is handed.
LeadAction = Callable[[UnitOfWork], object]


def back_to_process(lead_id: int, **params: str | None) -> RedirectResponse:
    """The lead page, scrolled to its process panel, with the non-empty `params`."""
    kept = {key: value for key, value in params.items() if value}
    query = f"?{urlencode(kept)}" if kept else ""
    return RedirectResponse(f"/leads/{lead_id}{query}#process", status_code=303)


def run_lead_action(
    request: Request, lead_id: int, stage: str | None, action: LeadAction, done: str
) -> RedirectResponse:
    """Run `action`; back to the panel with `done`, or with the error at `stage`."""
    try:
        action(container_of(request).uow())
    except LeadflowError as exc:
        return back_to_process(lead_id, stage=stage, perr=exc.message, pfield=exc.field)
    return back_to_process(lead_id, pdone=done)
