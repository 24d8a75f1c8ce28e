"""The field registry: every entity, its fields and the relationships between them."""

from leadflow.registry.domain import (
    EntityDef,
    FieldDef,
    FieldType,
    Registry,
    RelationshipDef,
)

__all__ = ["EntityDef", "FieldDef", "FieldType", "Registry", "RelationshipDef"]
