"""Pydantic request models built from the registry's built-in fields.

They give /docs exact types and refuse unknown names; the services still
coerce and check every value through the registry (custom fields included).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from functools import cache
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model

from leadflow.lib.bounds import Int32, RowId, omittable
from leadflow.lib.json_types import JsonScalar, JsonValue
from leadflow.registry.domain import FieldDef, FieldType
from leadflow.registry.services import builtin
from leadflow.users.domain import Role

_PYTHON_TYPES: dict[FieldType, Any] = {
    FieldType.TEXT: str,
    FieldType.LONG_TEXT: str,
    FieldType.EMAIL: str,
    FieldType.PHONE: str,
    FieldType.URL: str,
    FieldType.INTEGER: int,
    FieldType.REFERENCE: int,
    FieldType.DECIMAL: Decimal,
    FieldType.BOOLEAN: bool,
    FieldType.DATE: date,
    FieldType.DATETIME: datetime,
    FieldType.JSON: dict[str, JsonValue],
}


def _annotation(definition: FieldDef) -> Any:
    if definition.type is FieldType.CHOICE and definition.options:
        return Literal[definition.options]
    if definition.type in (FieldType.INTEGER, FieldType.REFERENCE):
        bounds = definition.whole_number_range
        return Annotated[int, Field(ge=bounds.low, le=bounds.high)]
    return _PYTHON_TYPES.get(definition.type, Any)


@cache
def write_model(entity: str, *, creating: bool) -> type[BaseModel]:
    fields: dict[str, Any] = {}
    for definition in builtin().fields_of(entity):
        if not definition.writable:
            continue
        description = definition.label + (" (required)" if definition.required else "")
        fields[definition.name] = (
            _annotation(definition) | None,
            Field(default=None, description=description),
        )
    if builtin().entity(entity).supports_custom_fields:
        fields["custom"] = (
            dict[str, JsonScalar] | None,
            Field(
                default=None,
                description="Values of custom fields, by name (GET /api/v1/fields/{entity})",
            ),
        )
    verb = "Create" if creating else "Update"
    return create_model(
        f"{verb}{entity.title()}",
        __config__=ConfigDict(extra="forbid"),
        **fields,
    )


class Page(BaseModel):
    items: list[dict[str, Any]]
    next_cursor: str | None = None


class InteractionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    contact_id: RowId
    lead_id: RowId | None = None
    kind: str = Field(description="email_opened, page_visited, form_submitted, ...")
    target_id: str | None = Field(default=None, description="The email, page, form or event")
    occurred_at: datetime | None = None
    data: dict[str, JsonValue] | None = None


class InteractionBatchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    items: list[InteractionIn] = Field(max_length=10_000)


class UserIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: str
    name: str
    role: str
    password: str | None = None
    capacity: Int32 | None = None


class UserPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = omittable()
    role: str = omittable()
    is_active: bool = omittable()
    capacity: Int32 | None = None
    password: str = omittable()


class TokenIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    role: str | None = None


class CustomFieldIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    entity: str
    name: str
    label: str | None = None
    type: str
    options: list[str] | None = None
    matchable: bool = False
    filterable: bool = True
    scorable: bool = False
    importable: bool = True


class HealthOut(BaseModel):
    status: Literal["ok"]
    database: str = Field(description="The database dialect: sqlite or postgresql")


class MeOut(BaseModel):
    id: int
    name: str
    email: str
    role: Role
    via: Literal["token", "session"]


class UserOut(BaseModel):
    id: int
    email: str
    name: str
    role: Role
    is_active: bool
    capacity: int | None = Field(description="Open leads round-robin may give them")
    created_at: str = Field(json_schema_extra={"format": "date-time"})


class UserList(BaseModel):
    items: list[UserOut]


class IssuedToken(BaseModel):
    id: int
    name: str
    role: Role
    token: str = Field(description="The secret, shown this once")
