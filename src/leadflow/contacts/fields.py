"""A contact's built-in fields as the registry knows them: its entity, fields, the
relationships it points along and its table. The composition root registers them."""

from __future__ import annotations

from leadflow.contacts.domain import Consent, ContactRole
from leadflow.contacts.models import Contact
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

ENTITY = "contact"

RECORD = RecordFields(
    entity=EntityDef("contact", "Contact", "contacts", supports_custom_fields=True),
    table=table_of(Contact),
    fields=(
        *system_fields(ENTITY),
        FieldDef(ENTITY, "email", "Email", T.EMAIL, matchable=True, scorable=True, max_length=320),
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
        FieldDef(ENTITY, "job_title", "Job title", T.TEXT, scorable=True, max_length=200),
        FieldDef(ENTITY, "role", "Role", T.CHOICE, options=options(ContactRole), scorable=True),
        FieldDef(ENTITY, "phone", "Phone", T.PHONE, matchable=True, max_length=50),
        phone_raw(ENTITY),
        FieldDef(ENTITY, "country", "Country", T.TEXT, scorable=True, max_length=100),
        FieldDef(ENTITY, "city", "City", T.TEXT, scorable=True, max_length=100),
        FieldDef(ENTITY, "account_id", "Account", T.REFERENCE, reference="account"),
        FieldDef(ENTITY, "marketing_only", "Marketing only", T.BOOLEAN, scorable=True),
        FieldDef(ENTITY, "consent", "Consent", T.CHOICE, options=options(Consent), scorable=True),
        FieldDef(ENTITY, "do_not_email", "Do not email", T.BOOLEAN, scorable=True),
        FieldDef(ENTITY, "source", "Source", T.TEXT, scorable=True, max_length=100),
        merged_into(ENTITY),
    ),
    relationships=(
        RelationshipDef(
            "contact_account", "Account of contact", "contact", "account_id", "account"
        ),
    ),
    always_set=frozenset({"marketing_only", "consent", "do_not_email", "created_at", "updated_at"}),
)
