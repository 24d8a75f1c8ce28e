"""Settings: each entity's fields and the relationships; admins add and remove custom fields."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from leadflow.errors import LeadflowError, NotFound
from leadflow.registry.domain import (
    CUSTOM_FIELD_TYPES,
    FIELD_NAME_PATTERN,
    EntityDef,
    FieldDef,
    FieldType,
    Registry,
)
from leadflow.registry.services import do_add_custom_field, do_remove_custom_field
from leadflow.users.domain import Permission, role_allows
from leadflow.users.services import Principal
from leadflow.web.auth import Authorize, container_of
from leadflow.web.calls import PageCall, page_call, see_other
from leadflow.web.pages.display import humanize
from leadflow.web.pages.forms import TRUE
from leadflow.web.pages.render import render, settings_navigation
from leadflow.web.pages.settings_forms import FormState, checked, status_of, text_of

PATH = "/settings/fields"


@dataclass(frozen=True)
class Flag:
    """A registry flag an admin sets on a custom field; `short` heads its table column."""

    name: str
    label: str
    short: str
    hint: str


FLAGS = (
    Flag("matchable", "Matchable", "Match", "Duplicate matching may compare it"),
    Flag("filterable", "Filterable", "Filter", "Lists and segments may filter on it"),
    Flag("scorable", "Scorable", "Score", "Scoring rules may use it"),
    Flag("importable", "Importable", "Import", "Imports may map a column to it"),
)
INPUTS = frozenset({"entity", "name", "label", "type", "options", *(f.name for f in FLAGS)})
# The service's defaults, so the empty form shows what leaving it alone means.
NEW_FIELD = FormState({"type": FieldType.TEXT.value, "filterable": TRUE, "importable": TRUE})
_OPTION_SEPARATORS = re.compile(r"[\r\n,]+")


@dataclass(frozen=True)
class FieldRow:
    """One row of an entity's field table."""

    name: str
    label: str
    type: str
    options: str
    flags: tuple[bool, ...]
    custom: bool
    remove_href: str | None


@dataclass(frozen=True)
class EntityFields:
    entity: EntityDef
    rows: list[FieldRow]


@dataclass(frozen=True)
class RelationshipRow:
    name: str
    label: str
    source: str
    source_field: str
    target: str


def split_options(text: str) -> list[str]:
    """Choice options typed one per line or separated by commas."""
    return [option.strip() for option in _OPTION_SEPARATORS.split(text) if option.strip()]


def _type_text(definition: FieldDef, registry: Registry) -> str:
    if definition.type is FieldType.REFERENCE and definition.reference:
        target = registry.entities.get(definition.reference)
        return f"Reference → {target.label if target else definition.reference}"
    return humanize(definition.type.value)


def _field_row(definition: FieldDef, registry: Registry, can_admin: bool) -> FieldRow:
    removable = can_admin and definition.custom
    return FieldRow(
        name=definition.name,
        label=definition.label,
        type=_type_text(definition, registry),
        options=", ".join(definition.options),
        flags=tuple(bool(getattr(definition, flag.name)) for flag in FLAGS),
        custom=definition.custom,
        remove_href=f"{PATH}/{definition.entity}/{definition.name}/remove" if removable else None,
    )


def _relationship_rows(registry: Registry) -> list[RelationshipRow]:
    def label(entity: str) -> str:
        found = registry.entities.get(entity)
        return found.label if found else entity

    return [
        RelationshipRow(rel.name, rel.label, label(rel.source), rel.source_field, label(rel.target))
        for rel in registry.relationships.values()
    ]


def _notice(query: Mapping[str, str], registry: Registry) -> str | None:
    for key, verb in (("added", "Added"), ("removed", "Removed")):
        entity, _, name = query.get(key, "").partition(".")
        if entity in registry.entities and FIELD_NAME_PATTERN.match(name):
            preposition = "to" if key == "added" else "from"
            plural = registry.entities[entity].plural
            return f"{verb} the custom field “{name}” {preposition} {plural}."
    return None


def _submitted(form: Mapping[str, Any]) -> dict[str, str]:
    values = {name: text_of(form, name) for name in ("entity", "name", "label", "type", "options")}
    values.update({flag.name: TRUE if checked(form, flag.name) else "" for flag in FLAGS})
    return values


def _service_input(values: Mapping[str, str]) -> dict[str, Any]:
    # Options only mean something to a choice field; others would carry them unused.
    is_choice = values["type"] == FieldType.CHOICE.value
    return {
        "entity": values["entity"],
        "name": values["name"],
        "label": values["label"],
        "type": values["type"],
        "options": split_options(values["options"]) if is_choice else [],
        **{flag.name: values[flag.name] == TRUE for flag in FLAGS},
    }


def _custom_field(registry: Registry, entity: str, name: str) -> FieldDef:
    definition = registry.fields.get(entity, {}).get(name)
    if definition is None or not definition.custom:
        raise NotFound(f"No custom field {name} on {entity}", field="name")
    return definition


def _fields_page(
    request: Request,
    principal: Principal,
    form: FormState = NEW_FIELD,
    error: LeadflowError | None = None,
) -> Response:
    registry = container_of(request).registry()
    can_admin = role_allows(principal.role, Permission.FIELDS_ADMIN)
    context = {
        "settings_sections": settings_navigation(principal),
        "can_admin": can_admin,
        "entities": [
            EntityFields(
                entity,
                [_field_row(d, registry, can_admin) for d in registry.fields_of(entity.name)],
            )
            for entity in registry.entities.values()
        ],
        "relationships": _relationship_rows(registry),
        "flags": FLAGS,
        "form": form,
        "entity_options": [
            (entity.name, entity.plural.capitalize())
            for entity in registry.entities.values()
            if entity.supports_custom_fields
        ],
        "type_options": [
            (kind.value, humanize(kind.value)) for kind in FieldType if kind in CUSTOM_FIELD_TYPES
        ],
        "notice": _notice(request.query_params, registry),
    }
    return render(request, "settings/fields.html", context, status=status_of(error))


router = APIRouter(include_in_schema=False)
reading = Authorize(Permission.FIELDS_READ)
can_admin = Authorize(Permission.FIELDS_ADMIN)
administering = page_call(Permission.FIELDS_ADMIN)


@router.get(PATH)
def show_fields(request: Request, principal: Principal = Depends(reading)) -> Response:
    return _fields_page(request, principal)


@router.post(PATH)
def add_field(call: PageCall = administering) -> Response:
    values = _submitted(call.form)

    def added(definition: FieldDef) -> Response:
        name = f"{definition.entity}.{definition.name}"
        return see_other(f"{PATH}?added={name}#entity-{definition.entity}")

    return call.run(
        lambda uow: do_add_custom_field(_service_input(values), uow=uow),
        done=added,
        failed=lambda error: _fields_page(
            call.request, call.principal, FormState.failed(values, error, INPUTS), error
        ),
    )


@router.get(f"{PATH}/{{entity}}/{{name}}/remove")
def confirm_remove(
    request: Request, entity: str, name: str, principal: Principal = Depends(can_admin)
) -> Response:
    registry = container_of(request).registry()
    context = {
        "field": _custom_field(registry, entity, name),
        "entity": registry.entity(entity),
    }
    return render(request, "settings/remove_field.html", context)


@router.post(f"{PATH}/{{entity}}/{{name}}/remove")
def remove_field(entity: str, name: str, call: PageCall = administering) -> Response:
    call.write(lambda uow: do_remove_custom_field(entity, name, uow=uow))
    return see_other(f"{PATH}?removed={entity}.{name}#entity-{entity}")


def fields_settings_router() -> APIRouter:
    return router
