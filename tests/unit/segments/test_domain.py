"""The pure validator and compiler of segment trees: paths of problems, operators by
type, same-record subqueries, bound values."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.dialects import postgresql, sqlite

from leadflow.errors import ValidationFailed
from leadflow.registry.builtin import builtin_registry
from leadflow.segments.compiler import compile_segment, is_id_set, scope_to_ids
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

    full, _ = compile_segment(tree, REGISTRY, id_sets=False)
    scoped, _ = compile_segment(tree, REGISTRY, correlated=True)
    sql_full = str(full.compile(dialect=sqlite.dialect()))
    sql_scoped = str(scope_to_ids(scoped).compile(dialect=sqlite.dialect()))

    assert "contacts.id IN (SELECT" in sql_full and "HAVING count(*) >=" in sql_full
    assert "(SELECT count(*)" in sql_scoped and "contact_ids" in sql_scoped


def _sql(tree: dict[str, Any], *, with_block: bool = False, dialect: Any = None) -> str:
    parsed, problems = parse_tree(tree, REGISTRY)
    assert not problems
    statement, _ = compile_segment(parsed, REGISTRY, with_block=with_block)
    return str(statement.compile(dialect=dialect or sqlite.dialect()))


CLICKS_TWICE = {"type": "behaviour", "kind": "email_clicked", "count": "at_least", "min": 2}
OPENED = {"type": "behaviour", "kind": "email_opened"}
NEVER_BOUNCED = {"type": "behaviour", "kind": "email_bounced", "count": "none"}
TWO_LEADS = related("lead_parent_contact", row("topic", "eq", "A"), count="at_least", min=2)


@pytest.mark.parametrize("dialect", [sqlite.dialect(), postgresql.dialect()])
def test_a_behaviour_segment_is_the_group_by_alone(dialect: Any) -> None:
    sql = _sql(group(CLICKS_TWICE), dialect=dialect)

    assert sql.startswith("SELECT int_1.contact_id AS contact_id")
    assert "GROUP BY int_1.contact_id" in sql and "HAVING count(*) >=" in sql
    assert "contacts" not in sql


def test_behaviour_and_counted_related_nodes_combine_as_set_operations() -> None:
    both = _sql(group(CLICKS_TWICE, TWO_LEADS))
    either = _sql(group(CLICKS_TWICE, TWO_LEADS, op="or"))
    but_not = _sql(group(CLICKS_TWICE, NEVER_BOUNCED))

    assert " INTERSECT " in both and "FROM leads AS lea_2" in both and "contacts" not in both
    assert " UNION " in either and "contacts" not in either
    assert " EXCEPT " in but_not and "contacts" not in but_not


def test_a_single_any_behaviour_does_not_repeat_a_contact() -> None:
    assert _sql(group(OPENED)).startswith("SELECT DISTINCT int_1.contact_id")
    assert "DISTINCT" not in _sql(group(OPENED, CLICKS_TWICE))  # the INTERSECT drops repeats


def test_an_or_of_id_sets_keeps_the_first_block_that_holds_as_the_reason() -> None:
    sql = _sql(group(CLICKS_TWICE, OPENED, op="or"), with_block=True)

    assert "UNION ALL" in sql and "min(anon_1.block) AS block" in sql
    assert "contacts" not in sql


@pytest.mark.parametrize(
    "tree",
    [
        group(row("role", "eq", "decision_maker"), CLICKS_TWICE),  # a contact field
        group(related("lead_parent_contact"), CLICKS_TWICE),  # "any lead" stays an EXISTS
        group(NEVER_BOUNCED),  # only a "none": everyone else
        group(CLICKS_TWICE, NEVER_BOUNCED, op="or"),  # "none" under OR
        group(related("contact_account", row("name", "eq", "Acme")), CLICKS_TWICE),  # N:1
        group(),
    ],
)
def test_trees_that_need_a_contact_row_filter_contacts(tree: dict[str, Any]) -> None:
    parsed, _ = parse_tree(tree, REGISTRY)

    assert not is_id_set(parsed)
    assert _sql(tree).startswith("SELECT contacts.id AS contact_id")


def test_an_id_set_group_inside_a_mixed_tree_is_one_in_filter() -> None:
    tree = group(row("role", "eq", "decision_maker"), group(CLICKS_TWICE, TWO_LEADS, op="or"))
    parsed, _ = parse_tree(tree, REGISTRY)

    sql = _sql(tree)

    assert not is_id_set(parsed) and is_id_set(parsed.children[1])
    assert "contacts.id IN (SELECT anon_1.contact_id" in sql and " UNION " in sql


def test_related_nodes_keyed_by_contact_are_id_sets_when_counted() -> None:
    for relationship in (
        "lead_parent_contact",
        "opportunity_contact",
        "event_registration_contact",
    ):
        counted, _ = parse_tree(group(related(relationship, count="at_least", min=2)), REGISTRY)
        anyone, _ = parse_tree(group(related(relationship)), REGISTRY)

        assert is_id_set(counted), relationship
        assert not is_id_set(anyone), relationship


def test_scoping_an_id_set_statement_filters_its_rows() -> None:
    tree, _ = parse_tree(group(CLICKS_TWICE), REGISTRY)
    full, _ = compile_segment(tree, REGISTRY)

    sql = str(scope_to_ids(full).compile(dialect=sqlite.dialect()))

    assert "FROM (SELECT int_1.contact_id" in sql
    assert "members.contact_id IN (__[POSTCOMPILE_contact_ids])" in sql


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
