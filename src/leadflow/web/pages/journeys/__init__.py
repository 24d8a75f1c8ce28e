"""Pages of journeys: the list, the designer (settings and the flow), and the contact's
journey history panel.

The flow is drawn by a small script (static/journeys.js) from the definition kept in a
hidden field, with the emails, segments, fields and users it offers embedded by name;
the settings are a plain form. Saving posts both; an error from the service comes back
beside the settings field or on the tile at fault, with what the person had changed
kept as it was.
"""

from __future__ import annotations

from fastapi import APIRouter

from leadflow.web.pages.journeys import _panel  # noqa: F401  (the contact page's panel)
from leadflow.web.pages.journeys._forms import (
    checked,
    error_target,
    settings_from_form,
    settings_view,
)
from leadflow.web.pages.journeys._routes import router
from leadflow.web.pages.journeys._tiles import describe_tile, tile_rows

__all__ = [
    "checked",
    "describe_tile",
    "error_target",
    "router",
    "routers",
    "settings_from_form",
    "settings_view",
    "tile_rows",
]


def routers() -> list[APIRouter]:
    return [router]
