"""The saved views offered above a record list, and the one in force."""

from __future__ import annotations

from urllib.parse import urlencode

from sqlalchemy.orm import Session

from leadflow.saved_views import services as views
from leadflow.users.services import Principal
from leadflow.web.pages.listing import (
    SAVED_VIEW,
    Params,
    SavedChoice,
    SavedSelection,
    clean_params,
)


def saved_selection(
    session: Session, principal: Principal, entity: str, path: str, raw: Params
) -> SavedSelection | None:
    """The saved views the caller may pick for this list and the one in force: the one the
    query names, else (for a list opened bare) the role's landing view."""
    if entity not in views.ENTITIES:
        return None
    offered = views.visible_views(session, principal.role, principal.user_id, entity)
    requested = dict(raw).get(SAVED_VIEW, "")
    active = None
    if requested.isdigit():
        active = views.get_view(
            session, int(requested), role=principal.role, user_id=principal.user_id
        )
    elif requested != "all" and not clean_params(raw):
        active = views.landing_view(session, principal.role, entity)
    choices = [
        SavedChoice(
            view.id,
            view.name,
            f"{path}?{urlencode({SAVED_VIEW: view.id})}",
            active is not None and view.id == active.id,
            view.owner_id is None,
        )
        for view in offered
    ]
    all_href = f"{path}?{urlencode({SAVED_VIEW: 'all'})}"
    if active is None:
        return SavedSelection(choices, all_href=all_href)
    return SavedSelection(
        choices,
        active.id,
        active.name,
        views.view_params(active, principal.user_id),
        tuple(active.columns),
        all_href,
        active_own=active.owner_id == principal.user_id,
    )
