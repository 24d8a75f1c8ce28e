"""Panels that capabilities add to a record's detail page.

The lead page carries the process bar on top and the scores and timelines
below; the record pages do not know those capabilities, they render whatever
panels are registered for the entity, in order.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from fastapi import Request
from markupsafe import Markup
from sqlalchemy.orm import Session

from leadflow.registry.domain import Registry
from leadflow.users.services import Principal
from leadflow.web.pages.render import TEMPLATES

Slot = Literal["top", "main"]


@dataclass(frozen=True)
class PanelContext:
    request: Request
    session: Session
    registry: Registry
    principal: Principal
    entity: str
    record_id: int
    record: Mapping[str, Any]
    csrf_token: str


PanelRenderer = Callable[[PanelContext], Markup | None]


@dataclass(frozen=True)
class DetailPanel:
    entity: str
    slot: Slot
    order: int
    render: PanelRenderer


PANELS: dict[tuple[str, str], DetailPanel] = {}


def detail_panel(
    entity: str, *, slot: Slot = "main", order: int = 100, key: str | None = None
) -> Callable[[PanelRenderer], PanelRenderer]:
    """Register a panel renderer for an entity's detail page (returns None to show nothing)."""

    def register(render: PanelRenderer) -> PanelRenderer:
        PANELS[(entity, key or f"{render.__module__}.{render.__qualname__}")] = DetailPanel(
            entity, slot, order, render
        )
        return render

    return register


def render_panels(context: PanelContext) -> dict[Slot, list[Markup]]:
    slots: dict[Slot, list[Markup]] = {"top": [], "main": []}
    panels = sorted(
        (panel for panel in PANELS.values() if panel.entity == context.entity),
        key=lambda panel: panel.order,
    )
    for panel in panels:
        html = panel.render(context)
        if html:
            slots[panel.slot].append(html)
    return slots


def render_fragment(template: str, **values: Any) -> Markup:
    """A panel's HTML from one of the templates (autoescaped like any page)."""
    return Markup(TEMPLATES.get_template(template).render(**values))
