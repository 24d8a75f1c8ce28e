"""Pure import rules: headers guessed, mappings checked, rows read, write modes decided."""

from __future__ import annotations

import pytest

from leadflow.errors import ValidationFailed
from leadflow.imports.domain import (
    ColumnMap,
    RowReader,
    WriteMode,
    decide_changes,
    guess_mapping,
    parse_mapping,
)
from leadflow.registry.builtin import builtin_registry
from leadflow.registry.domain import FieldDef, FieldType

REGISTRY = builtin_registry().with_custom_fields(
    [FieldDef("contact", "shoe_size", "Shoe size", FieldType.INTEGER)]
)


def test_headers_are_guessed_by_name_label_and_synonym_whatever_the_case_and_spacing() -> None:
    headers = ["E-Mail Address", "FIRST NAME", " last_name ", "Surname", "Shoe Size", "Notes"]

    mapping = guess_mapping(headers, REGISTRY, "contact")

    assert mapping == {
        "E-Mail Address": ColumnMap("email"),
        "FIRST NAME": ColumnMap("first_name"),
        " last_name ": ColumnMap("last_name"),
        "Shoe Size": ColumnMap("shoe_size"),
    }


def test_a_lead_company_column_is_its_company_name() -> None:
    assert guess_mapping(["Company"], REGISTRY, "lead") == {"Company": ColumnMap("company_name")}


def test_two_columns_for_one_field_are_refused() -> None:
    with pytest.raises(ValidationFailed) as caught:
        parse_mapping({"a": "email", "b": {"field": "email"}}, REGISTRY, "contact")

    assert (caught.value.code.value, caught.value.field) == ("duplicate", "mapping.b")


def test_an_unknown_write_mode_is_refused() -> None:
    with pytest.raises(ValidationFailed) as caught:
        parse_mapping({"a": {"field": "email", "mode": "sometimes"}}, REGISTRY, "contact")

    assert caught.value.field == "mapping.a"


def test_a_row_is_read_into_typed_values_and_cell_errors() -> None:
    mapping = parse_mapping({"mail": "email", "size": "shoe_size"}, REGISTRY, "contact")
    reader = RowReader.build(REGISTRY, "contact", ["mail", "size"], mapping)

    good = reader.read(2, ["ann@example.com", "42"])
    bad = reader.read(3, ["ann@example.com", "big"])

    assert (good.values, good.custom, good.errors) == (
        {"email": "ann@example.com"},
        {"shoe_size": 42},
        [],
    )
    [error] = bad.errors
    assert (error.column, error.code) == ("size", "invalid_value")


def test_write_modes() -> None:
    current = {"city": "Oslo", "job_title": None, "country": "NO"}
    incoming = {"city": "Bergen", "job_title": "CTO", "country": "SE"}
    modes = {"city": WriteMode.OVERWRITE, "job_title": WriteMode.FILL, "country": WriteMode.NEVER}

    assert decide_changes(current, incoming, modes) == {"city": "Bergen", "job_title": "CTO"}


def test_an_empty_cell_never_clears_a_value() -> None:
    assert decide_changes({"city": "Oslo"}, {"city": None}, {}) == {}


@pytest.mark.parametrize(
    "cell",
    ["  Ann.Lee@Example.COM ", "", "   ", "broken", "ann@@example.com", "zoë@example.com",
     "ann@exämple.com", "ann@example.com\x00"],
)  # fmt: skip
def test_an_email_cell_is_read_as_coerce_reads_it(cell: str) -> None:
    mapping = parse_mapping({"mail": "email"}, REGISTRY, "contact")
    reader = RowReader.build(REGISTRY, "contact", ["mail", "other"], mapping)
    definition = REGISTRY.field("contact", "email")
    try:
        expected = ({"email": definition.coerce(cell)}, [])
    except ValidationFailed as error:
        expected = ({}, [("mail", error.code.value, error.message)])

    row = reader.read(2, [cell, "x"])

    assert (row.values, [(e.column, e.code, e.message) for e in row.errors]) == expected
