from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from leadflow.errors import ErrorCode, ValidationFailed
from leadflow.registry.domain import FieldDef, FieldType
from leadflow.registry.services import builtin


def test_every_named_relationship_points_at_known_fields() -> None:
    registry = builtin()
    for relationship in registry.relationships.values():
        source_field = registry.field(relationship.source, relationship.source_field)
        assert source_field.reference == relationship.target
    assert registry.relationship("lead_parent_contact").target == "contact"
    assert registry.relationship("opportunity_originating_lead").source == "opportunity"


def test_unknown_field_names_the_field() -> None:
    with pytest.raises(ValidationFailed) as caught:
        builtin().field("contact", "shoe_size")
    assert caught.value.code is ErrorCode.UNKNOWN_FIELD
    assert caught.value.field == "shoe_size"


def test_invalid_email_is_refused_with_its_code() -> None:
    email = builtin().field("contact", "email")
    with pytest.raises(ValidationFailed) as caught:
        email.coerce("not-an-email")
    assert caught.value.code is ErrorCode.INVALID_EMAIL
    assert caught.value.field == "email"


@pytest.mark.parametrize(
    ("kind", "raw", "expected"),
    [
        (FieldType.INTEGER, "42", 42),
        (FieldType.DECIMAL, "12.50", Decimal("12.50")),
        (FieldType.BOOLEAN, "yes", True),
        (FieldType.BOOLEAN, "0", False),
        (FieldType.DATE, "2026-03-01", date(2026, 3, 1)),
        (FieldType.DATETIME, "2026-03-01T10:00:00Z", datetime(2026, 3, 1, 10, tzinfo=UTC)),
        (FieldType.TEXT, "  padded  ", "padded"),
        (FieldType.TEXT, "   ", None),
    ],
)
def test_values_coerce_to_the_field_type(kind: FieldType, raw: str, expected: object) -> None:
    definition = FieldDef("contact", "x", "X", kind)
    assert definition.coerce(raw) == expected


@pytest.mark.parametrize(
    ("kind", "raw"),
    [
        (FieldType.INTEGER, "4.5"),
        (FieldType.INTEGER, True),
        (FieldType.DECIMAL, "abc"),
        (FieldType.DECIMAL, "NaN"),
        (FieldType.BOOLEAN, "maybe"),
        (FieldType.DATE, "01/03/2026"),
    ],
)
def test_wrong_values_are_refused(kind: FieldType, raw: object) -> None:
    definition = FieldDef("contact", "x", "X", kind)
    with pytest.raises(ValidationFailed) as caught:
        definition.coerce(raw)
    assert caught.value.field == "x"


def test_choice_accepts_only_its_options() -> None:
    role = builtin().field("contact", "role")
    assert role.coerce("decision_maker") == "decision_maker"
    with pytest.raises(ValidationFailed) as caught:
        role.coerce("ceo")
    assert "decision_maker" in caught.value.message


def test_custom_fields_join_the_registry_like_built_in_ones() -> None:
    shirt = FieldDef("contact", "tshirt", "T-shirt", FieldType.CHOICE, options=("S", "M"))
    registry = builtin().with_custom_fields([shirt])
    [found] = [item for item in registry.fields_of("contact") if item.name == "tshirt"]
    assert found.custom is True
    assert not builtin().has_field("contact", "tshirt")


def test_registry_nullability_matches_the_tables() -> None:
    from leadflow.registry.sql import table_for

    registry = builtin()
    for entity in registry.entities:
        table = table_for(entity)
        for definition in registry.fields_of(entity):
            if definition.custom or definition.name == "id":
                continue
            column = table.c[definition.name]
            assert definition.nullable == column.nullable, (entity, definition.name)
