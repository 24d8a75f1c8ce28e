"""The built-in entities, fields and relationships."""

from __future__ import annotations

from dataclasses import replace

from leadflow.contacts.domain import Consent, ContactRole
from leadflow.interactions.domain import InteractionKind
from leadflow.leads.domain import (
    LeadSource,
    LeadStatus,
    LeadStatusReason,
    Need,
    PurchaseProcess,
    PurchaseTimeframe,
)
from leadflow.lib.bounds import INT64
from leadflow.opportunities.domain import OpportunityStatus
from leadflow.registry.domain import EntityDef, FieldDef, FieldType, Registry, RelationshipDef
from leadflow.users.domain import Role

T = FieldType


def _options(enum: type[object]) -> tuple[str, ...]:
    return tuple(str(member) for member in enum)  # type: ignore[attr-defined]


def _system(entity: str) -> list[FieldDef]:
    return [
        FieldDef(entity, "id", "ID", T.INTEGER, writable=False, importable=False, int_range=INT64),
        FieldDef(entity, "created_at", "Created on", T.DATETIME, writable=False, importable=False),
        FieldDef(entity, "updated_at", "Modified on", T.DATETIME, writable=False, importable=False),
    ]


def _phone_raw(entity: str) -> FieldDef:
    # The phone as typed, beside `phone` (E.164 when it parses): set by the services.
    return FieldDef(
        entity,
        "phone_raw",
        "Phone as typed",
        T.TEXT,
        writable=False,
        importable=False,
        max_length=50,
    )


def _merged_into(entity: str) -> FieldDef:
    # Set by a merge (duplicates/services.py) on the record merged into the survivor.
    return FieldDef(
        entity,
        "merged_into_id",
        "Merged into",
        T.REFERENCE,
        reference=entity,
        writable=False,
        importable=False,
    )


def _contact_fields() -> list[FieldDef]:
    e = "contact"
    return [
        *_system(e),
        FieldDef(e, "email", "Email", T.EMAIL, matchable=True, scorable=True, max_length=320),
        FieldDef(
            e, "first_name", "First name", T.TEXT, matchable=True, scorable=True, max_length=100
        ),
        FieldDef(
            e, "last_name", "Last name", T.TEXT, matchable=True, scorable=True, max_length=100
        ),
        FieldDef(e, "job_title", "Job title", T.TEXT, scorable=True, max_length=200),
        FieldDef(e, "role", "Role", T.CHOICE, options=_options(ContactRole), scorable=True),
        FieldDef(e, "phone", "Phone", T.PHONE, matchable=True, max_length=50),
        _phone_raw(e),
        FieldDef(e, "country", "Country", T.TEXT, scorable=True, max_length=100),
        FieldDef(e, "city", "City", T.TEXT, scorable=True, max_length=100),
        FieldDef(e, "account_id", "Account", T.REFERENCE, reference="account"),
        FieldDef(e, "marketing_only", "Marketing only", T.BOOLEAN, scorable=True),
        FieldDef(e, "consent", "Consent", T.CHOICE, options=_options(Consent), scorable=True),
        FieldDef(e, "do_not_email", "Do not email", T.BOOLEAN, scorable=True),
        FieldDef(e, "source", "Source", T.TEXT, scorable=True, max_length=100),
        _merged_into(e),
    ]


def _account_fields() -> list[FieldDef]:
    e = "account"
    return [
        *_system(e),
        FieldDef(
            e,
            "name",
            "Account name",
            T.TEXT,
            matchable=True,
            scorable=True,
            required=True,
            max_length=200,
        ),
        FieldDef(e, "website", "Website", T.URL, scorable=True, max_length=300),
        FieldDef(e, "domain", "Domain", T.TEXT, matchable=True, scorable=True, max_length=255),
        FieldDef(e, "industry", "Industry", T.TEXT, scorable=True, max_length=100),
        FieldDef(e, "employee_count", "Employees", T.INTEGER, scorable=True),
        FieldDef(
            e, "annual_revenue", "Annual revenue", T.DECIMAL, scorable=True, precision=18, scale=2
        ),
        FieldDef(e, "country", "Country", T.TEXT, scorable=True, max_length=100),
        FieldDef(e, "city", "City", T.TEXT, scorable=True, max_length=100),
    ]


def _lead_fields() -> list[FieldDef]:
    e = "lead"
    return [
        *_system(e),
        FieldDef(e, "topic", "Topic", T.TEXT, matchable=True, scorable=True, max_length=300),
        FieldDef(
            e, "first_name", "First name", T.TEXT, matchable=True, scorable=True, max_length=100
        ),
        FieldDef(
            e, "last_name", "Last name", T.TEXT, matchable=True, scorable=True, max_length=100
        ),
        FieldDef(e, "email", "Email", T.EMAIL, matchable=True, scorable=True, max_length=320),
        FieldDef(
            e, "company_name", "Company name", T.TEXT, matchable=True, scorable=True, max_length=200
        ),
        FieldDef(e, "job_title", "Job title", T.TEXT, scorable=True, max_length=200),
        FieldDef(e, "phone", "Phone", T.PHONE, matchable=True, max_length=50),
        _phone_raw(e),
        FieldDef(
            e,
            "status",
            "Status",
            T.CHOICE,
            options=_options(LeadStatus),
            scorable=True,
            importable=False,
        ),
        FieldDef(
            e,
            "status_reason",
            "Status reason",
            T.CHOICE,
            options=_options(LeadStatusReason),
            scorable=True,
        ),
        FieldDef(e, "source", "Lead source", T.CHOICE, options=_options(LeadSource), scorable=True),
        FieldDef(e, "campaign", "Campaign", T.TEXT, matchable=True, scorable=True, max_length=200),
        FieldDef(
            e,
            "marketing_page_id",
            "Marketing page",
            T.INTEGER,
            matchable=True,
            scorable=True,
            int_range=INT64,
        ),
        FieldDef(
            e,
            "marketing_form_id",
            "Marketing form",
            T.INTEGER,
            matchable=True,
            scorable=True,
            int_range=INT64,
        ),
        FieldDef(e, "event_id", "Event", T.INTEGER, matchable=True, scorable=True, int_range=INT64),
        FieldDef(
            e, "journey_id", "Journey", T.INTEGER, matchable=True, scorable=True, int_range=INT64
        ),
        FieldDef(e, "parent_contact_id", "Parent contact", T.REFERENCE, reference="contact"),
        FieldDef(e, "parent_account_id", "Parent account", T.REFERENCE, reference="account"),
        FieldDef(e, "owner_id", "Owner", T.REFERENCE, reference="user"),
        FieldDef(e, "sales_ready", "Sales ready", T.BOOLEAN, scorable=True),
        FieldDef(e, "sales_ready_at", "Sales ready since", T.DATETIME, writable=False),
        FieldDef(
            e,
            "sales_ready_source",
            "Sales ready by",
            T.CHOICE,
            options=("score", "manual"),
            writable=False,
        ),
        FieldDef(e, "telemarketing_ready", "Telemarketing ready", T.BOOLEAN, scorable=True),
        FieldDef(e, "telemarketing_accepted", "Telemarketing accepted", T.BOOLEAN),
        FieldDef(e, "sales_accepted", "Sales accepted", T.BOOLEAN),
        FieldDef(
            e,
            "purchase_timeframe",
            "Purchase timeframe",
            T.CHOICE,
            options=_options(PurchaseTimeframe),
            scorable=True,
        ),
        FieldDef(
            e,
            "purchase_process",
            "Purchase process",
            T.CHOICE,
            options=_options(PurchaseProcess),
            scorable=True,
        ),
        FieldDef(
            e, "budget_amount", "Budget amount", T.DECIMAL, scorable=True, precision=18, scale=2
        ),
        FieldDef(e, "need", "Need", T.CHOICE, options=_options(Need), scorable=True),
        FieldDef(e, "description", "Description", T.LONG_TEXT, filterable=False),
        _merged_into(e),
    ]


def _opportunity_fields() -> list[FieldDef]:
    e = "opportunity"
    return [
        *_system(e),
        FieldDef(e, "name", "Name", T.TEXT, required=True, max_length=300),
        FieldDef(e, "contact_id", "Contact", T.REFERENCE, reference="contact"),
        FieldDef(e, "account_id", "Account", T.REFERENCE, reference="account"),
        FieldDef(e, "originating_lead_id", "Originating lead", T.REFERENCE, reference="lead"),
        FieldDef(e, "estimated_value", "Estimated value", T.DECIMAL, precision=18, scale=2),
        FieldDef(e, "status", "Status", T.CHOICE, options=_options(OpportunityStatus)),
    ]


def _interaction_fields() -> list[FieldDef]:
    e = "interaction"
    return [
        FieldDef(e, "id", "ID", T.INTEGER, writable=False, importable=False, int_range=INT64),
        FieldDef(e, "contact_id", "Contact", T.REFERENCE, reference="contact", required=True),
        FieldDef(e, "lead_id", "Lead", T.REFERENCE, reference="lead"),
        FieldDef(
            e,
            "kind",
            "Kind",
            T.TEXT,
            required=True,
            scorable=True,
            options=_options(InteractionKind),
            max_length=64,
        ),
        FieldDef(e, "target_id", "Target", T.TEXT, scorable=True, max_length=100),
        FieldDef(e, "occurred_at", "Occurred on", T.DATETIME, scorable=True),
        FieldDef(e, "data", "Data", T.JSON, filterable=False),
    ]


def _user_fields() -> list[FieldDef]:
    e = "user"
    return [
        FieldDef(e, "id", "ID", T.INTEGER, writable=False, importable=False, int_range=INT64),
        FieldDef(e, "email", "Email", T.EMAIL, required=True, max_length=320),
        FieldDef(e, "name", "Name", T.TEXT, required=True, max_length=200),
        FieldDef(e, "role", "Role", T.CHOICE, options=_options(Role), required=True),
        FieldDef(e, "is_active", "Active", T.BOOLEAN),
        FieldDef(e, "capacity", "Lead capacity", T.INTEGER),
        FieldDef(e, "created_at", "Created on", T.DATETIME, writable=False, importable=False),
    ]


ENTITIES = {
    "contact": EntityDef("contact", "Contact", "contacts", supports_custom_fields=True),
    "account": EntityDef("account", "Account", "accounts", supports_custom_fields=True),
    "lead": EntityDef("lead", "Lead", "leads", supports_custom_fields=True),
    "opportunity": EntityDef("opportunity", "Opportunity", "opportunities"),
    "interaction": EntityDef("interaction", "Interaction", "interactions"),
    "user": EntityDef("user", "User", "users"),
}

RELATIONSHIPS = [
    RelationshipDef(
        "lead_parent_contact", "Parent contact for lead", "lead", "parent_contact_id", "contact"
    ),
    RelationshipDef(
        "lead_parent_account", "Parent account for lead", "lead", "parent_account_id", "account"
    ),
    RelationshipDef("lead_owner", "Owner of lead", "lead", "owner_id", "user"),
    RelationshipDef("contact_account", "Account of contact", "contact", "account_id", "account"),
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
    RelationshipDef(
        "interaction_contact", "Contact of interaction", "interaction", "contact_id", "contact"
    ),
    RelationshipDef("interaction_lead", "Lead of interaction", "interaction", "lead_id", "lead"),
]


# Fields whose column always holds a value: a default on create, never null after.
ALWAYS_SET = frozenset(
    {
        ("contact", "marketing_only"),
        ("contact", "consent"),
        ("contact", "do_not_email"),
        ("account", "name"),
        ("lead", "status"),
        ("lead", "status_reason"),
        ("lead", "source"),
        ("lead", "sales_ready"),
        ("lead", "telemarketing_ready"),
        ("lead", "telemarketing_accepted"),
        ("lead", "sales_accepted"),
        ("opportunity", "name"),
        ("opportunity", "status"),
        ("interaction", "contact_id"),
        ("interaction", "kind"),
        ("user", "email"),
        ("user", "name"),
        ("user", "role"),
        ("user", "is_active"),
        ("user", "created_at"),
        ("interaction", "occurred_at"),
        ("interaction", "data"),
        *(
            (entity, name)
            for entity in ("contact", "account", "lead", "opportunity")
            for name in ("created_at", "updated_at")
        ),
        *((entity, "id") for entity in ENTITIES),
    }
)


def builtin_registry() -> Registry:
    fields: dict[str, dict[str, FieldDef]] = {name: {} for name in ENTITIES}
    for definition in [
        *_contact_fields(),
        *_account_fields(),
        *_lead_fields(),
        *_opportunity_fields(),
        *_interaction_fields(),
        *_user_fields(),
    ]:
        if (definition.entity, definition.name) in ALWAYS_SET:
            definition = replace(definition, nullable=False)
        fields[definition.entity][definition.name] = definition
    return Registry(
        entities=dict(ENTITIES),
        fields=fields,
        relationships={rel.name: rel for rel in RELATIONSHIPS},
    )
