"""The saved views' API edge: the body that saves a view."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from leadflow.lib.json_types import FilledScalar


class ViewBody(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    entity: Literal["lead", "contact"]  # saved_views.services.ENTITIES
    filters: list[tuple[str, FilledScalar]] = Field(
        default_factory=list,
        max_length=30,  # saved_views.services.MAX_FILTERS
        description='[field__op, value] pairs as in the list query, e.g. ["owner_id", "{me}"]',
    )
    columns: list[str] = Field(default_factory=list)
    sort: str | None = None
