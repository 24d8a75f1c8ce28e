"""A list's prefix search: `q` read as index-friendly ranges over each entity's
searchable columns (exact matches, longer prefixes, "first last")."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, true

from leadflow.registry.sql import table_for

TOP = "\U0010ffff"


def _prefix(column: ColumnElement[Any], text: str) -> ColumnElement[bool]:
    # A range on the indexed expression instead of LIKE, which neither database
    # serves from a plain b-tree index in every collation.
    return and_(column >= text, column < text + TOP)


def _strict_prefix(column: ColumnElement[Any], text: str) -> ColumnElement[bool]:
    return and_(column > text, column < text + TOP)


SEARCH_COLUMNS: dict[str, tuple[str, ...]] = {
    "contact": ("email", "first_name", "last_name"),
    "lead": ("email", "first_name", "last_name", "company_name"),
    "account": ("name", "domain"),
    "opportunity": ("name",),
    "user": ("email", "name"),
}


def _search_expression(entity: str, name: str) -> ColumnElement[Any]:
    table = table_for(entity)
    if name == "email":
        return table.c.email_normalized if "email_normalized" in table.c else table.c.email
    if name == "domain":
        return table.c.domain
    return func.lower(table.c[name])


def search_branches(entity: str, text: str) -> list[ColumnElement[bool]]:
    """Predicates whose union is the prefix search for `text`.

    Exact matches and longer prefixes are separate branches: an exact name
    ("smith") is read from an index on (name, created_at, id) already in list
    order, however many Smiths there are, and the strict-prefix branch
    ("smithson") is small. "ada lovelace" also matches first and last name.
    """
    lowered = " ".join(text.split()).casefold()
    names = SEARCH_COLUMNS.get(entity, ())
    branches: list[ColumnElement[bool]] = []
    for name in names:
        column = _search_expression(entity, name)
        branches.append(column == lowered)
        branches.append(_strict_prefix(column, lowered))
    if " " in lowered and {"first_name", "last_name"} <= set(names):
        first, _, last = lowered.partition(" ")
        first_column = _search_expression(entity, "first_name")
        last_column = _search_expression(entity, "last_name")
        branches.append(and_(last_column == last, first_column == first))
        branches.append(and_(last_column == last, _strict_prefix(first_column, first)))
        branches.append(and_(_strict_prefix(last_column, last), _prefix(first_column, first)))
    return branches


def search_clause(entity: str, text: str) -> ColumnElement[bool]:
    """The whole prefix search as one condition (for counting, not for paging)."""
    branches = search_branches(entity, text)
    return or_(*branches) if branches else true()
