"""The LinkedIn answers on a lead's page."""

from __future__ import annotations

from markupsafe import Markup
from sqlalchemy import select

from leadflow.linkedin.models import LinkedInForm, LinkedInResponse
from leadflow.web.pages.panels import PanelContext, detail_panel, render_fragment


@detail_panel("lead", slot="main", order=30)
def lead_linkedin_answers(context: PanelContext) -> Markup | None:
    """A lead that came from LinkedIn Lead Gen Forms: each response's form, when, the
    answers by question (choices as labels), the consents and the hidden fields."""
    rows = list(
        context.session.execute(
            select(LinkedInResponse, LinkedInForm.name)
            .outerjoin(LinkedInForm, LinkedInForm.id == LinkedInResponse.form_id)
            .where(LinkedInResponse.lead_id == context.record_id)
            .order_by(LinkedInResponse.submitted_at.desc(), LinkedInResponse.id.desc())
            .limit(10)
        )
    )
    if not rows:
        return None
    responses = [
        {
            "form": form_name or response.form_linkedin_id or "A LinkedIn form",
            "submitted_at": response.submitted_at,
            "test_lead": response.test_lead,
            "deleted": response.deleted_at is not None,
            "answers": list(response.answers or []),
            "consents": list(response.consents or []),
            "hidden": dict((response.attribution or {}).get("hidden_fields") or {}),
        }
        for response, form_name in rows
    ]
    return render_fragment("linkedin/lead_panel.html", responses=responses)
