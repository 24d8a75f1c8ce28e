"""An interaction's built-in fields as the registry knows them: its entity, fields, the
relationships it points along and its table; and the lead's derived field over
interactions. The composition root registers them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, func, select

from leadflow.interactions.domain import InteractionKind
from leadflow.interactions.models import Interaction
from leadflow.leads.models import Lead
from leadflow.lib.bounds import INT64
from leadflow.registry.builtin import RecordFields, options, table_of
from leadflow.registry.derived import DerivedField, derived
from leadflow.registry.domain import EntityDef, FieldDef, RelationshipDef
from leadflow.registry.domain import FieldType as T

ENTITY = "interaction"

RECORD = RecordFields(
    entity=EntityDef("interaction", "Interaction", "interactions"),
    table=table_of(Interaction),
    fields=(
        FieldDef(ENTITY, "id", "ID", T.INTEGER, writable=False, importable=False, int_range=INT64),
        FieldDef(ENTITY, "contact_id", "Contact", T.REFERENCE, reference="contact", required=True),
        FieldDef(ENTITY, "lead_id", "Lead", T.REFERENCE, reference="lead"),
        FieldDef(
            ENTITY,
            "kind",
            "Kind",
            T.TEXT,
            required=True,
            scorable=True,
            options=options(InteractionKind),
            max_length=64,
        ),
        FieldDef(ENTITY, "target_id", "Target", T.TEXT, scorable=True, max_length=100),
        FieldDef(ENTITY, "occurred_at", "Occurred on", T.DATETIME, scorable=True),
        FieldDef(ENTITY, "data", "Data", T.JSON, filterable=False),
    ),
    relationships=(
        RelationshipDef(
            "interaction_contact", "Contact of interaction", "interaction", "contact_id", "contact"
        ),
        RelationshipDef(
            "interaction_lead", "Lead of interaction", "interaction", "lead_id", "lead"
        ),
    ),
    always_set=frozenset({"contact_id", "kind", "occurred_at", "data"}),
)


def _last_activity_at() -> ColumnElement[Any]:
    # The contact's interactions: what the person did, whichever lead they came by.
    return (
        select(func.max(Interaction.occurred_at))
        .where(Interaction.contact_id == Lead.parent_contact_id)
        .scalar_subquery()
    )


# A lead's derived list field over this concept's table.
DERIVED = (
    DerivedField(
        derived("lead", "last_activity_at", "Last activity", T.DATETIME), _last_activity_at
    ),
)
