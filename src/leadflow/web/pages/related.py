"""The sections under a record: the records that point at it, and a contact's timeline.

Which records point at which comes from the registry's relationships (a lead's
`parent_contact_id` puts "Leads" on a contact's page), so a new relationship
shows up without a new template.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import ColumnElement
from sqlalchemy.orm import Session

from leadflow.interactions.services import contact_timeline
from leadflow.records.listing import parse_list_params, run_list
from leadflow.records.values import to_public
from leadflow.registry.derived import list_field
from leadflow.registry.domain import Registry
from leadflow.users.domain import Permission, Role, role_allows
from leadflow.web.pages.display import Cell, cell_for, describe_interaction, public_value
from leadflow.web.pages.listing import ListSpec, Row, href_with, table_rows
from leadflow.web.pages.lookups import TARGET_KINDS, interaction_targets, reference_titles

RELATED_LIMIT = 10
RELATED_COLUMNS = 4
TIMELINE_LIMIT = 50
TIMELINE_COLUMNS = ("occurred_at", "lead_id")


@dataclass(frozen=True)
class Section:
    """A titled table under a record, with links to all of them and to add one."""

    title: str
    columns: list[str]
    rows: list[Row]
    empty: str
    more_href: str | None = None
    new_href: str | None = None
    linked: bool = True


@dataclass(frozen=True)
class SectionContext:
    session: Session
    registry: Registry
    entity: str
    record_id: int
    role: Role
    lists: Mapping[str, ListSpec]
    creatable: frozenset[str]
    # The caller's reach per entity (web/reach.py): rows out of it are not listed.
    scopes: Mapping[str, tuple[ColumnElement[bool], ...]] = field(default_factory=dict)

    def allowed(self, permission: Permission) -> bool:
        return role_allows(self.role, permission)


SectionBuilder = Callable[[SectionContext], list[Section]]


def records_pointing_here(ctx: SectionContext) -> list[Section]:
    """One section per relationship into this entity, for entities the caller may read."""
    sections: list[Section] = []
    order = list(ctx.lists)
    incoming = sorted(
        (
            relationship
            for relationship in ctx.registry.relationships.values()
            if relationship.target == ctx.entity and relationship.source in ctx.lists
        ),
        key=lambda relationship: order.index(relationship.source),
    )
    sources = [relationship.source for relationship in incoming]
    for relationship in incoming:
        spec = ctx.lists[relationship.source]
        link = relationship.source_field
        names = [name for name in spec.columns if name != link][:RELATED_COLUMNS]
        definitions = [list_field(ctx.registry, spec.entity, name) for name in names]
        params = [(link, str(ctx.record_id)), ("limit", str(RELATED_LIMIT))]
        query = parse_list_params(ctx.registry, spec.entity, params, names)
        page = run_list(ctx.session, replace(query, scope=ctx.scopes.get(spec.entity, ())))
        entity_def = ctx.registry.entity(spec.entity)
        title = entity_def.plural.capitalize()
        if sources.count(spec.entity) > 1:
            title += f" as {ctx.registry.field(spec.entity, link).label.lower()}"
        filter_params = [(link, str(ctx.record_id))]
        new_href = (
            href_with(f"{spec.path}/new", filter_params) if spec.entity in ctx.creatable else None
        )
        sections.append(
            Section(
                title=title,
                columns=[entity_def.label, *(d.label for d in definitions)],
                rows=table_rows(ctx.session, ctx.registry, spec, definitions, page.items),
                empty=f"No {entity_def.plural} yet.",
                more_href=href_with(spec.path, filter_params) if page.next_cursor else None,
                new_href=new_href,
            )
        )
    return sections


def contact_timeline_section(ctx: SectionContext) -> list[Section]:
    """The contact's latest interactions, newest first."""
    if not ctx.allowed(Permission.INTERACTIONS_READ):
        return []
    rows = contact_timeline(ctx.session, ctx.record_id, limit=TIMELINE_LIMIT)
    records: list[dict[str, Any]] = [to_public(row, ctx.registry, "interaction") for row in rows]
    titles = reference_titles(ctx.session, ctx.registry, "interaction", records)
    when, lead = (ctx.registry.field("interaction", name) for name in TIMELINE_COLUMNS)
    targets = interaction_targets(ctx.session) if records else {}
    # What happened in words, its page, form or event by name.
    what = [
        Cell(describe_interaction(str(r["kind"]), r.get("target_id"), targets, TARGET_KINDS))
        for r in records
    ]
    return [
        Section(
            title="Timeline",
            columns=[when.label, "What", lead.label],
            rows=[
                Row(
                    None,
                    None,
                    [
                        cell_for(when, public_value(when, record), titles),
                        described,
                        cell_for(lead, public_value(lead, record), titles),
                    ],
                )
                for record, described in zip(records, what, strict=True)
            ],
            empty="No interactions recorded yet.",
            linked=False,
        )
    ]
