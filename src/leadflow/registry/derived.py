"""Derived list fields: values a list shows, sorts and filters on that live in other tables.

A lead's score and grade (its best score under any model), the stage of its running
process, its owner's name and its last activity are what a team sorts a lead list by.
They are not columns of `leads`: each is one correlated subquery, so a list, a
filter (`score__gte=50`) and a saved view use them like any field, and the database
works them out for the rows it returns. They are never written, imported or matched.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy import ColumnElement, func, select

from leadflow.registry.domain import FieldDef, FieldType, Registry

_FLAGS: dict[str, Any] = {
    "derived": True,
    "writable": False,
    "importable": False,
    "matchable": False,
    "scorable": False,
}

DERIVED_FIELDS: dict[str, dict[str, FieldDef]] = {
    "lead": {
        definition.name: definition
        for definition in (
            FieldDef("lead", "score", "Score", FieldType.INTEGER, **_FLAGS),
            FieldDef("lead", "grade", "Grade", FieldType.TEXT, **_FLAGS),
            FieldDef("lead", "stage", "Stage", FieldType.TEXT, **_FLAGS),
            FieldDef("lead", "last_activity_at", "Last activity", FieldType.DATETIME, **_FLAGS),
        )
    }
}


def derived_fields(entity: str) -> list[FieldDef]:
    return list(DERIVED_FIELDS.get(entity, {}).values())


def list_field(registry: Registry, entity: str, name: str) -> FieldDef:
    """A field a list may show, sort or filter on: a registry field or a derived one."""
    derived = DERIVED_FIELDS.get(entity, {}).get(name)
    return derived if derived is not None else registry.field(entity, name)


def has_list_field(registry: Registry, entity: str, name: str) -> bool:
    return name in DERIVED_FIELDS.get(entity, {}) or registry.has_field(entity, name)


def list_fields(registry: Registry, entity: str) -> list[FieldDef]:
    """Every field of the entity a list can use, the registry's first."""
    return [*registry.fields_of(entity), *derived_fields(entity)]


@cache
def _expressions() -> dict[tuple[str, str], ColumnElement[Any]]:
    from leadflow.interactions.models import Interaction
    from leadflow.leads.models import Lead
    from leadflow.process.models import ProcessInstance
    from leadflow.scoring.models import LeadScore

    best = (
        select(LeadScore.grade)
        .where(LeadScore.lead_id == Lead.id)
        .order_by(LeadScore.score.desc(), LeadScore.model_id)
        .limit(1)
    )
    return {
        ("lead", "score"): select(func.max(LeadScore.score))
        .where(LeadScore.lead_id == Lead.id)
        .scalar_subquery(),
        ("lead", "grade"): best.scalar_subquery(),
        ("lead", "stage"): select(ProcessInstance.stage)
        .where(
            ProcessInstance.lead_id == Lead.id,
            ProcessInstance.current.is_(True),
            ProcessInstance.status == "active",
        )
        .limit(1)
        .scalar_subquery(),
        # The contact's interactions: what the person did, whichever lead they came by.
        ("lead", "last_activity_at"): select(func.max(Interaction.occurred_at))
        .where(Interaction.contact_id == Lead.parent_contact_id)
        .scalar_subquery(),
    }


def derived_column(definition: FieldDef) -> ColumnElement[Any]:
    return _expressions()[(definition.entity, definition.name)]
