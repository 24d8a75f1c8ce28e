"""Pages of the scoring capability: thin over its services.

The model designer works without script: each rule, condition and grade edit is
a small form that posts to the model and comes back to the designer, with any
error shown beside the part of the form at fault.
"""

from __future__ import annotations

from fastapi import APIRouter

from leadflow.web.pages.scoring import _panel  # noqa: F401  (the lead page's panel)
from leadflow.web.pages.scoring._routes import router


def routers() -> list[APIRouter]:
    return [router]
