"""The built-in registry as the record concepts declare it and the composition root
registers it: the order people see entities and relationships in is pinned here."""

from __future__ import annotations

from leadflow.registry.builtin import builtin_registry, registered_tables


def test_entities_are_listed_in_the_order_people_meet_them() -> None:
    assert list(builtin_registry().entities) == [
        "contact",
        "account",
        "lead",
        "opportunity",
        "interaction",
        "user",
    ]


def test_relationships_are_listed_by_the_entity_they_start_from_the_leads_first() -> None:
    assert list(builtin_registry().relationships) == [
        "lead_parent_contact",
        "lead_parent_account",
        "lead_owner",
        "contact_account",
        "opportunity_contact",
        "opportunity_account",
        "opportunity_originating_lead",
        "interaction_contact",
        "interaction_lead",
    ]


def test_each_record_concept_registers_its_own_table() -> None:
    tables = {entity: table.name for entity, table in registered_tables().items()}

    assert tables == {
        "contact": "contacts",
        "account": "accounts",
        "lead": "leads",
        "opportunity": "opportunities",
        "interaction": "interactions",
        "user": "users",
    }


def test_a_field_whose_column_always_holds_a_value_is_not_nullable() -> None:
    registry = builtin_registry()

    assert registry.field("lead", "status").nullable is False
    assert registry.field("lead", "id").nullable is False
    assert registry.field("lead", "topic").nullable is True
