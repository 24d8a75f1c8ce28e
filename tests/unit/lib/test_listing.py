from datetime import UTC, datetime

import pytest

from leadflow.errors import ErrorCode, ValidationFailed
from leadflow.lib.normalize import normalize_email, normalize_phone
from leadflow.records.listing import (
    Op,
    build_select,
    decode_cursor,
    encode_cursor,
    parse_list_params,
)
from leadflow.registry.services import builtin


def test_cursor_round_trips_datetimes_and_ids() -> None:
    moment = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert decode_cursor(encode_cursor(moment, 17)) == (moment, 17)
    assert decode_cursor(encode_cursor("abc", 3)) == ("abc", 3)
    assert decode_cursor(encode_cursor(None, 9)) == (None, 9)


def test_a_forged_cursor_is_refused() -> None:
    with pytest.raises(ValidationFailed) as caught:
        decode_cursor("not-a-cursor")
    assert caught.value.code is ErrorCode.INVALID_CURSOR


def test_params_become_checked_filters() -> None:
    query = parse_list_params(
        builtin(),
        "lead",
        [("status", "open"), ("created_at__gte", "2026-01-01T00:00:00Z"), ("sort", "last_name")],
    )
    status, created = query.filters
    assert (status.field.name, status.op, status.value) == ("status", Op.EQ, "open")
    assert created.op is Op.GTE
    assert query.sort is not None and query.sort.name == "last_name"
    assert query.descending is False


def test_unknown_filter_field_is_refused() -> None:
    with pytest.raises(ValidationFailed) as caught:
        parse_list_params(builtin(), "lead", [("secret_column", "1")])
    assert caught.value.field == "secret_column"


def test_unknown_operator_is_refused() -> None:
    with pytest.raises(ValidationFailed) as caught:
        parse_list_params(builtin(), "lead", [("status__regex", "o.*")])
    assert caught.value.field == "status__regex"


def test_limit_is_bounded() -> None:
    with pytest.raises(ValidationFailed) as caught:
        parse_list_params(builtin(), "lead", [("limit", "5000")])
    assert caught.value.field == "limit"


def test_user_values_are_bound_never_inlined() -> None:
    query = parse_list_params(builtin(), "contact", [("last_name", "x'; drop table contacts;--")])
    sql = str(build_select(query).compile())
    assert "drop table" not in sql
    assert ":last_name_1" in sql


def test_email_filters_compare_the_normalised_form() -> None:
    query = parse_list_params(builtin(), "contact", [("email", " Ada@Example.COM ")])
    [only] = query.filters
    assert only.value == "ada@example.com"


def test_normalisers() -> None:
    assert normalize_email("  Ada.Lovelace@Example.COM ") == "ada.lovelace@example.com"
    assert normalize_phone("+44 20 7946 0958") == "+442079460958"
    assert normalize_phone("020 7946 0958", "GB") == "+442079460958"
    assert normalize_phone("call me") is None
