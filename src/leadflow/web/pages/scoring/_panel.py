"""The lead page's panel of its scores."""

from __future__ import annotations

from markupsafe import Markup

from leadflow.scoring import services
from leadflow.users.domain import Permission, role_allows
from leadflow.web.pages.panels import PanelContext, detail_panel, render_fragment


@detail_panel("lead", slot="main", order=20)
def lead_scores_panel(context: PanelContext) -> Markup | None:
    """Every live model's score, grade and explanation on the lead page, and the history."""
    if not role_allows(context.principal.role, Permission.SCORING_READ):
        return None
    scores = services.lead_scores(context.session, context.record_id)
    return render_fragment("scoring/lead_panel.html", scores=scores)
