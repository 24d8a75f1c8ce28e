"""The pure validator and compiler of segment trees: paths of problems, operators by
type, same-record subqueries, bound values."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.dialects import postgresql, sqlite

from leadflow.errors import ValidationFailed
from leadflow.registry.builtin import builtin_registry
from leadflow.segments.compiler import compile_segment, scope_to_ids
from leadflow.segments.domain import (
    CountOp,
    FieldRow,
    Op,
    Related,
    describe,
    is_time_relative,
    parse_tree,
    validate_tree,
)

REGISTRY = builtin_registry()


def group(*children: dict[str, Any], op: str = "and") -> dict[str, Any]:
    return {"type": "group", "op": op, "children": list(children)}


def row(field: str, op: str, value: Any = None) -> dict[str, Any]:
    return {"type": "field", "field": field, "op": op, "value": value}


def related(rel: str, *children: dict[str, Any], **count: Any) -> dict[str, Any]:
    return {"type": "related", "relationship": rel, "where": group(*children), **count}


SEED = group(
    related("lead_parent_contact", row("topic", "eq", "Contoso Ltd Conference")),
    row("role", "eq", "decision_maker"),
)


def _problem(tree: dict[str, Any]) -> ValidationFailed:
    with pytest.raises(ValidationFailed) as caught:
        validate_tree(tree, REGISTRY)
    return caught.value


def test_the_seed_example_parses_to_a_lead_node_and_a_role_row() -> None:
    tree = validate_tree(SEED, REGISTRY)

    lead, role = tree.children
    assert isinstance(lead, Related) and lead.link.entity == "lead" and lead.link.many
    assert lead.count is CountOp.ANY
    assert lead.where.children == (
        FieldRow("lead", "topic", Op.EQ, ("Contoso Ltd Conference",), lead.where.children[0].type),  # type: ignore[union-attr]
    )
    assert isinstance(role, FieldRow) and role.values == ("decision_maker",)


@pytest.mark.parametrize(
    ("tree", "path"),
    [
        (group(row("nope", "eq", "x")), "root.children[0].field"),
        (group(row("role", "contains", "x")), "root.children[0].op"),
        (group(row("role", "eq", "emperor")), "root.children[0].value"),
        (group(row("created_at", "within_last_days", "many")), "root.children[0].value"),
        (group(related("lead_parent_contact", row("nope", "eq", 1))), "root.children[0].where.children[0].field"),  # noqa: E501
        (group(related("lead_owner")), "root.children[0].relationship"),
        (group(related("contact_account", count="at_least", min=2)), "root.children[0].count"),
        (group(group(row("city", "gt", ["a", "b"]))), "root.children[0].children[0].op"),
        (group({"type": "behaviour", "kind": "Bad Kind"}), "root.children[0].kind"),
        (group(related("lead_parent_contact", {"type": "behaviour", "kind": "email_clicked"})), "root.children[0].where.children[0].type"),  # noqa: E501
        (group({"type": "mystery"}), "root.children[0].type"),
    ],
)  # fmt: skip
def test_each_problem_names_the_path_of_the_node_at_fault(tree: dict[str, Any], path: str) -> None:
    assert _problem(tree).field == path


def test_an_unknown_field_has_the_unknown_field_code_and_lists_every_problem() -> None:
    error = _problem(group(row("nope", "eq", 1), row("role", "gt", 1)))

    assert error.code.value == "unknown_field"
    assert [p["path"] for p in error.extra["problems"]] == [
        "root.children[0].field",
        "root.children[1].op",
    ]


def test_moving_windows_make_a_tree_time_relative() -> None:
    window = group({"type": "behaviour", "kind": "email_clicked", "window_days": 30})
    plain = group({"type": "behaviour", "kind": "email_clicked"})

    assert is_time_relative(validate_tree(window, REGISTRY))
    assert not is_time_relative(validate_tree(plain, REGISTRY))


def test_describe_reads_like_the_builder() -> None:
    tree = validate_tree(SEED, REGISTRY)

    assert describe(tree.children[0], REGISTRY) == "has a lead (Parent contact for lead) where"
    assert describe(tree.children[1], REGISTRY) == "Role is decision maker"


@pytest.mark.parametrize("dialect", [sqlite.dialect(), postgresql.dialect()])
def test_the_compiled_statement_binds_every_value(dialect: Any) -> None:
    tree, problems = parse_tree(SEED, REGISTRY)
    assert not problems

    statement, _ = compile_segment(tree, REGISTRY)
    sql = str(statement.compile(dialect=dialect))

    assert "contoso" not in sql.lower() and "decision_maker" not in sql
    assert sql.count("FROM leads") == 1  # both rows of a lead node sit in one subquery


def test_set_based_and_correlated_forms_differ_in_shape() -> None:
    tree, _ = parse_tree(group(related("lead_parent_contact", count="at_least", min=2)), REGISTRY)

    full, _ = compile_segment(tree, REGISTRY)
    scoped, _ = compile_segment(tree, REGISTRY, correlated=True)
    sql_full = str(full.compile(dialect=sqlite.dialect()))
    sql_scoped = str(scope_to_ids(scoped).compile(dialect=sqlite.dialect()))

    assert "contacts.id IN (SELECT" in sql_full and "HAVING count(*) >=" in sql_full
    assert "(SELECT count(*)" in sql_scoped and "contact_ids" in sql_scoped


def test_any_related_record_is_an_exists_in_both_shapes() -> None:
    tree, _ = parse_tree(SEED, REGISTRY)

    full, _ = compile_segment(tree, REGISTRY)

    assert "EXISTS (SELECT" in str(full.compile(dialect=sqlite.dialect()))


def test_same_record_rows_of_a_related_node_share_one_alias() -> None:
    tree, _ = parse_tree(
        group(
            related("lead_parent_contact", row("topic", "eq", "A"), row("source", "eq", "event"))
        ),
        REGISTRY,
    )

    statement, _ = compile_segment(tree, REGISTRY)
    sql = str(statement.compile(dialect=postgresql.dialect()))

    assert sql.count("FROM leads AS") == 1
    assert "lea_1.topic" in sql and "lea_1.source" in sql
