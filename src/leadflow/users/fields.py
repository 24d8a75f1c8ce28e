"""A user's built-in fields as the registry knows them: its entity, fields, the
relationships it points along and its table. The composition root registers them."""

from __future__ import annotations

from leadflow.lib.bounds import INT64
from leadflow.registry.builtin import RecordFields, options, table_of
from leadflow.registry.domain import EntityDef, FieldDef
from leadflow.registry.domain import FieldType as T
from leadflow.users.domain import Role
from leadflow.users.models import User

ENTITY = "user"

RECORD = RecordFields(
    entity=EntityDef("user", "User", "users"),
    table=table_of(User),
    fields=(
        FieldDef(ENTITY, "id", "ID", T.INTEGER, writable=False, importable=False, int_range=INT64),
        FieldDef(ENTITY, "email", "Email", T.EMAIL, required=True, max_length=320),
        FieldDef(ENTITY, "name", "Name", T.TEXT, required=True, max_length=200),
        FieldDef(ENTITY, "role", "Role", T.CHOICE, options=options(Role), required=True),
        FieldDef(ENTITY, "is_active", "Active", T.BOOLEAN),
        FieldDef(ENTITY, "capacity", "Lead capacity", T.INTEGER),
        FieldDef(ENTITY, "created_at", "Created on", T.DATETIME, writable=False, importable=False),
    ),
    relationships=(),
    always_set=frozenset({"email", "name", "role", "is_active", "created_at"}),
)
