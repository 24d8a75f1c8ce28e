"""A lead's built-in fields as the registry knows them: its entity, fields, the
relationships it points along and its table. The composition root registers them."""

from __future__ import annotations

from leadflow.leads.domain import (
    LeadSource,
    LeadStatus,
    LeadStatusReason,
    Need,
    PurchaseProcess,
    PurchaseTimeframe,
)
from leadflow.leads.models import Lead
from leadflow.lib.bounds import INT64
from leadflow.registry.builtin import (
    RecordFields,
    merged_into,
    options,
    phone_raw,
    system_fields,
    table_of,
)
from leadflow.registry.domain import EntityDef, FieldDef, RelationshipDef
from leadflow.registry.domain import FieldType as T

ENTITY = "lead"

RECORD = RecordFields(
    entity=EntityDef("lead", "Lead", "leads", supports_custom_fields=True),
    table=table_of(Lead),
    fields=(
        *system_fields(ENTITY),
        FieldDef(ENTITY, "topic", "Topic", T.TEXT, matchable=True, scorable=True, max_length=300),
        FieldDef(
            ENTITY,
            "first_name",
            "First name",
            T.TEXT,
            matchable=True,
            scorable=True,
            max_length=100,
        ),
        FieldDef(
            ENTITY, "last_name", "Last name", T.TEXT, matchable=True, scorable=True, max_length=100
        ),
        FieldDef(ENTITY, "email", "Email", T.EMAIL, matchable=True, scorable=True, max_length=320),
        FieldDef(
            ENTITY,
            "company_name",
            "Company name",
            T.TEXT,
            matchable=True,
            scorable=True,
            max_length=200,
        ),
        FieldDef(ENTITY, "job_title", "Job title", T.TEXT, scorable=True, max_length=200),
        FieldDef(ENTITY, "phone", "Phone", T.PHONE, matchable=True, max_length=50),
        phone_raw(ENTITY),
        FieldDef(
            ENTITY,
            "status",
            "Status",
            T.CHOICE,
            options=options(LeadStatus),
            scorable=True,
            importable=False,
        ),
        FieldDef(
            ENTITY,
            "status_reason",
            "Status reason",
            T.CHOICE,
            options=options(LeadStatusReason),
            scorable=True,
        ),
        FieldDef(
            ENTITY, "source", "Lead source", T.CHOICE, options=options(LeadSource), scorable=True
        ),
        FieldDef(
            ENTITY, "campaign", "Campaign", T.TEXT, matchable=True, scorable=True, max_length=200
        ),
        FieldDef(
            ENTITY,
            "marketing_page_id",
            "Marketing page",
            T.INTEGER,
            matchable=True,
            scorable=True,
            int_range=INT64,
        ),
        FieldDef(
            ENTITY,
            "marketing_form_id",
            "Marketing form",
            T.INTEGER,
            matchable=True,
            scorable=True,
            int_range=INT64,
        ),
        FieldDef(
            ENTITY, "event_id", "Event", T.INTEGER, matchable=True, scorable=True, int_range=INT64
        ),
        FieldDef(
            ENTITY,
            "journey_id",
            "Journey",
            T.INTEGER,
            matchable=True,
            scorable=True,
            int_range=INT64,
        ),
        FieldDef(ENTITY, "parent_contact_id", "Parent contact", T.REFERENCE, reference="contact"),
        FieldDef(ENTITY, "parent_account_id", "Parent account", T.REFERENCE, reference="account"),
        FieldDef(ENTITY, "owner_id", "Owner", T.REFERENCE, reference="user"),
        FieldDef(ENTITY, "sales_ready", "Sales ready", T.BOOLEAN, scorable=True),
        FieldDef(ENTITY, "sales_ready_at", "Sales ready since", T.DATETIME, writable=False),
        FieldDef(
            ENTITY,
            "sales_ready_source",
            "Sales ready by",
            T.CHOICE,
            options=("score", "manual"),
            writable=False,
        ),
        FieldDef(ENTITY, "telemarketing_ready", "Telemarketing ready", T.BOOLEAN, scorable=True),
        FieldDef(ENTITY, "telemarketing_accepted", "Telemarketing accepted", T.BOOLEAN),
        FieldDef(ENTITY, "sales_accepted", "Sales accepted", T.BOOLEAN),
        FieldDef(
            ENTITY,
            "purchase_timeframe",
            "Purchase timeframe",
            T.CHOICE,
            options=options(PurchaseTimeframe),
            scorable=True,
        ),
        FieldDef(
            ENTITY,
            "purchase_process",
            "Purchase process",
            T.CHOICE,
            options=options(PurchaseProcess),
            scorable=True,
        ),
        FieldDef(
            ENTITY,
            "budget_amount",
            "Budget amount",
            T.DECIMAL,
            scorable=True,
            precision=18,
            scale=2,
        ),
        FieldDef(ENTITY, "need", "Need", T.CHOICE, options=options(Need), scorable=True),
        FieldDef(ENTITY, "description", "Description", T.LONG_TEXT, filterable=False),
        merged_into(ENTITY),
    ),
    relationships=(
        RelationshipDef(
            "lead_parent_contact", "Parent contact for lead", "lead", "parent_contact_id", "contact"
        ),
        RelationshipDef(
            "lead_parent_account", "Parent account for lead", "lead", "parent_account_id", "account"
        ),
        RelationshipDef("lead_owner", "Owner of lead", "lead", "owner_id", "user"),
    ),
    always_set=frozenset(
        {
            "status",
            "status_reason",
            "source",
            "sales_ready",
            "telemarketing_ready",
            "telemarketing_accepted",
            "sales_accepted",
            "created_at",
            "updated_at",
        }
    ),
)
