"""The contact page's panel of its journeys: where it stands and its steps, in words."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from markupsafe import Markup

from leadflow.journeys import services
from leadflow.users.domain import Permission, role_allows
from leadflow.web.pages.display import humanize
from leadflow.web.pages.panels import PanelContext, detail_panel, render_fragment

STATUS_WORDS = {
    "due": "on its way",
    "waiting": "waiting",
    "done": "finished",
    "exited": "left",
}
OUTCOME_WORDS = {
    "passed": "",
    "sent": "sent",
    "capped": "held back by the frequency cap",
    "yes": "yes",
    "no": "no",
    "exited": "left",
}


def _moment(value: datetime) -> str:
    return value.strftime("%Y-%m-%d %H:%M")


def contact_panel_items(entries: list[services.ContactJourney]) -> list[dict[str, Any]]:
    """A contact's journeys as its page lists them: where it stands and its steps, in words."""
    items = []
    for entry in entries:
        status = STATUS_WORDS.get(entry.status, entry.status)
        if entry.status == "exited" and entry.exit_reason:
            status = f"left ({humanize(entry.exit_reason).lower()})"
        steps = []
        for step in entry.steps:
            outcome = OUTCOME_WORDS.get(step.outcome, step.outcome)
            if step.outcome == "branch":
                outcome = f"branch {chr(65 + (step.branch or 0))}"
            if step.detail:
                outcome = f"{outcome}: {step.detail}" if outcome else step.detail
            steps.append({"at": _moment(step.at), "tile": step.tile_label, "outcome": outcome})
        items.append(
            {
                "journey_id": entry.journey_id,
                "name": entry.journey_name,
                "entry_number": entry.entry_number,
                "status": entry.status,
                "status_words": status,
                "current": entry.tile_label if entry.status in ("due", "waiting") else None,
                "due_at": None,
                "entered_at": _moment(entry.entered_at),
                "steps": steps,
            }
        )
    return items


@detail_panel("contact", order=65, key="journeys")
def contact_journeys_panel(context: PanelContext) -> Markup | None:
    if not role_allows(context.principal.role, Permission.JOURNEYS_READ):
        return None
    entries = services.contact_journeys(context.session, context.record_id)
    return render_fragment("journeys/contact_panel.html", items=contact_panel_items(entries))
