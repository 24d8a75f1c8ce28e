"""An opportunity's built-in fields as the registry knows them: its entity, fields, the
relationships it points along and its table. The composition root registers them."""

from __future__ import annotations

from leadflow.opportunities.domain import OpportunityStatus
from leadflow.opportunities.models import Opportunity
from leadflow.registry.builtin import RecordFields, options, system_fields, table_of
from leadflow.registry.domain import EntityDef, FieldDef, RelationshipDef
from leadflow.registry.domain import FieldType as T

ENTITY = "opportunity"

RECORD = RecordFields(
    entity=EntityDef("opportunity", "Opportunity", "opportunities"),
    table=table_of(Opportunity),
    fields=(
        *system_fields(ENTITY),
        FieldDef(ENTITY, "name", "Name", T.TEXT, required=True, max_length=300),
        FieldDef(ENTITY, "contact_id", "Contact", T.REFERENCE, reference="contact"),
        FieldDef(ENTITY, "account_id", "Account", T.REFERENCE, reference="account"),
        FieldDef(ENTITY, "originating_lead_id", "Originating lead", T.REFERENCE, reference="lead"),
        FieldDef(ENTITY, "estimated_value", "Estimated value", T.DECIMAL, precision=18, scale=2),
        FieldDef(ENTITY, "status", "Status", T.CHOICE, options=options(OpportunityStatus)),
    ),
    relationships=(
        RelationshipDef(
            "opportunity_contact", "Contact of opportunity", "opportunity", "contact_id", "contact"
        ),
        RelationshipDef(
            "opportunity_account", "Account of opportunity", "opportunity", "account_id", "account"
        ),
        RelationshipDef(
            "opportunity_originating_lead",
            "Originating lead of opportunity",
            "opportunity",
            "originating_lead_id",
            "lead",
        ),
    ),
    always_set=frozenset({"name", "status", "created_at", "updated_at"}),
)
