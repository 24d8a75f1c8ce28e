"""The relationships a segment query may follow, and the registry as queries see it."""

from __future__ import annotations

from dataclasses import dataclass

from leadflow.registry.domain import EntityDef, FieldDef, FieldType, Registry, RelationshipDef
from leadflow.segments.domain._types import EVENT_REGISTRATION, QUERY_ENTITIES


def _registration_fields() -> list[FieldDef]:
    e = EVENT_REGISTRATION
    return [
        FieldDef(e, "id", "ID", FieldType.INTEGER, writable=False, nullable=False),
        FieldDef(e, "event_id", "Event", FieldType.INTEGER, nullable=False),
        FieldDef(
            e,
            "status",
            "Registration status",
            FieldType.CHOICE,
            options=("registered", "waitlisted", "cancelled"),
            nullable=False,
        ),
        FieldDef(e, "attended_at", "Attended on", FieldType.DATETIME),
        FieldDef(e, "created_at", "Registered on", FieldType.DATETIME, nullable=False),
    ]


def query_registry(registry: Registry) -> Registry:
    """The registry as segment queries see it: with event registrations (a capture table
    the field registry does not list) and their link to the contact."""
    if EVENT_REGISTRATION in registry.entities:
        return registry
    entities = {
        **registry.entities,
        EVENT_REGISTRATION: EntityDef(EVENT_REGISTRATION, "Event registration", "registrations"),
    }
    fields = {**registry.fields, EVENT_REGISTRATION: {f.name: f for f in _registration_fields()}}
    relationships = {
        **registry.relationships,
        "event_registration_contact": RelationshipDef(
            "event_registration_contact",
            "Contact of event registration",
            EVENT_REGISTRATION,
            "contact_id",
            "contact",
        ),
    }
    return Registry(entities, fields, relationships)


@dataclass(frozen=True)
class Link:
    """How a related node reaches its records from the entity it sits under."""

    relationship: str
    entity: str  # the related records' entity
    # True: the related records point at the parent (lead -> contact, 1:N);
    # False: the parent points at the related record (contact -> account, N:1).
    many: bool
    key: str  # the column holding the link: on the related records if many, else the parent's


def link_for(registry: Registry, parent: str, relationship: str) -> Link | None:
    """The way from `parent` through `relationship`, or None when it does not touch it."""
    rel = registry.relationships.get(relationship)
    if rel is None:
        return None
    if rel.target == parent and rel.source in QUERY_ENTITIES:
        return Link(rel.name, rel.source, True, rel.source_field)
    if rel.source == parent and rel.target in QUERY_ENTITIES:
        return Link(rel.name, rel.target, False, rel.source_field)
    return None


def relationships_from(registry: Registry, parent: str) -> list[tuple[RelationshipDef, Link]]:
    """Every relationship a related node under `parent` may follow (for the builder)."""
    found = []
    for rel in registry.relationships.values():
        link = link_for(registry, parent, rel.name)
        if link is not None:
            found.append((rel, link))
    return found
