"""Pydantic models of the segments API edge.

They type the shape of a query tree; `domain.parse_tree` still checks what
depends on the registry (fields, operators per type, relationships) and names
the node at fault (`root.children[0].where.children[1].op`).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

from leadflow.lib.json_types import JsonScalarOrList

BIGINT_HIGH = 2**63 - 1
Id = Annotated[int, Field(ge=1, le=BIGINT_HIGH)]


class SegmentNodeIn(BaseModel):
    """One node of a query tree: a `group` (op, children), a `field` row (field, op,
    value), a `related` node (relationship, count, min, where) or a `behaviour`
    node (kind, target_id, data, count, min, window_days)."""

    type: Literal["group", "field", "related", "behaviour"]
    op: str | None = Field(default=None, description="group: and|or; field: the operator")
    children: list[SegmentNodeIn] | None = Field(default=None, description="group: its nodes")
    field: str | None = Field(default=None, description="field: a registry field's name")
    value: JsonScalarOrList = Field(default=None, description="field: one value or several")
    relationship: str | None = Field(
        default=None, description="related: a registry relationship, e.g. lead_parent_contact"
    )
    count: Literal["any", "at_least", "none"] | None = Field(
        default=None, description="related/behaviour: how many records (default any)"
    )
    min: int | None = Field(default=None, ge=1, le=2**31 - 1, description="count at_least: N")
    where: SegmentNodeIn | None = Field(
        default=None, description="related: the group that must hold for the same record"
    )
    kind: str | None = Field(default=None, description="behaviour: interaction kind")
    target_id: str | None = Field(default=None, max_length=100)
    data: dict[str, str] | None = Field(default=None, description="behaviour: data filters")
    window_days: int | None = Field(default=None, ge=1, le=36500)


class PartIn(BaseModel):
    segment_id: Id
    op: Literal["union", "intersect", "exclude"] = "union"


class SegmentIn(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=5000)
    kind: Literal["dynamic", "static", "compound"] = "dynamic"
    definition: SegmentNodeIn | None = Field(default=None, description="dynamic: the root group")
    parts: list[PartIn] | None = Field(default=None, description="compound: the parts in order")


class SegmentPatch(BaseModel):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=5000)
    definition: SegmentNodeIn | None = None
    parts: list[PartIn] | None = None


class EstimateIn(BaseModel):
    definition: SegmentNodeIn


class MembersIn(BaseModel):
    """Contacts to add to or remove from a static segment: ids, emails, or a query."""

    contact_ids: list[Id] | None = Field(default=None, max_length=10000)
    emails: list[Annotated[str, Field(max_length=320)]] | None = Field(
        default=None, max_length=10000
    )
    query: SegmentNodeIn | None = None


def body_data(body: BaseModel) -> dict[str, Any]:
    """The members sent, as JSON values (absent members are left out; nested nodes
    keep only what they were given)."""
    return body.model_dump(mode="json", exclude_unset=True, exclude_none=True)
