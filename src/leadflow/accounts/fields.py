"""An account's built-in fields as the registry knows them: its entity, fields, the
relationships it points along and its table. The composition root registers them."""

from __future__ import annotations

from leadflow.accounts.models import Account
from leadflow.registry.builtin import RecordFields, system_fields, table_of
from leadflow.registry.domain import EntityDef, FieldDef
from leadflow.registry.domain import FieldType as T

ENTITY = "account"

RECORD = RecordFields(
    entity=EntityDef("account", "Account", "accounts", supports_custom_fields=True),
    table=table_of(Account),
    fields=(
        *system_fields(ENTITY),
        FieldDef(
            ENTITY,
            "name",
            "Account name",
            T.TEXT,
            matchable=True,
            scorable=True,
            required=True,
            max_length=200,
        ),
        FieldDef(ENTITY, "website", "Website", T.URL, scorable=True, max_length=300),
        FieldDef(ENTITY, "domain", "Domain", T.TEXT, matchable=True, scorable=True, max_length=255),
        FieldDef(ENTITY, "industry", "Industry", T.TEXT, scorable=True, max_length=100),
        FieldDef(ENTITY, "employee_count", "Employees", T.INTEGER, scorable=True),
        FieldDef(
            ENTITY,
            "annual_revenue",
            "Annual revenue",
            T.DECIMAL,
            scorable=True,
            precision=18,
            scale=2,
        ),
        FieldDef(ENTITY, "country", "Country", T.TEXT, scorable=True, max_length=100),
        FieldDef(ENTITY, "city", "City", T.TEXT, scorable=True, max_length=100),
    ),
    relationships=(),
    always_set=frozenset({"name", "created_at", "updated_at"}),
)
