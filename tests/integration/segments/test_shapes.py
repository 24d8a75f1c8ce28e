"""The id-set shape of the full build (INTERSECT / UNION / EXCEPT of contact ids read off
interactions, leads, opportunities) admits the same contacts, for the same reasons, as
the shape that filters contacts, on SQLite and PostgreSQL; and scoped to a few ids it
agrees with the correlated shape the events use."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Select

from leadflow.bootstrap import Container
from leadflow.interactions.services import record_interactions
from leadflow.leads.services import create_lead
from leadflow.lib.clock import utcnow
from leadflow.opportunities.services import create_opportunity
from leadflow.segments.compiler import compile_segment, is_id_set, scope_to_ids
from leadflow.segments.domain import validate_tree
from tests.integration.segments.helpers import (
    group,
    make_account,
    make_contact,
    related,
    row,
)


def clicked(times: int = 2, days: int | None = 30, kind: str = "email_clicked") -> dict[str, Any]:
    node: dict[str, Any] = {"type": "behaviour", "kind": kind, "count": "at_least", "min": times}
    return {**node, "window_days": days} if days else node


def never(kind: str) -> dict[str, Any]:
    return {"type": "behaviour", "kind": kind, "count": "none"}


def leads(*rows: dict[str, Any], at_least: int = 2) -> dict[str, Any]:
    return related("lead_parent_contact", *rows, count="at_least", min=at_least)


OPENED = clicked(1, None, "email_opened")
DEALS = related("opportunity_contact", row("status", "eq", "open"), count="at_least", min=2)
NO_PRICE_LIST = related("lead_parent_contact", row("topic", "eq", "Price list"), count="none")
DECISION_MAKER = row("role", "eq", "decision_maker")

TREES: dict[str, dict[str, Any]] = {
    "behaviour": group(clicked()),
    "behaviour, any": group(OPENED),
    "behaviour, no window": group(clicked(3, None)),
    "counted leads": group(leads(row("topic", "eq", "Conference"))),
    "counted deals": group(DEALS),
    "leads on big accounts": group(
        leads(related("lead_parent_account", row("employee_count", "gte", 100)))
    ),
    "and": group(clicked(), leads()),
    "or (three reasons)": group(clicked(3, None), leads(), DEALS, op="or"),
    "none behaviour": group(clicked(1), never("email_bounced")),
    "none related": group(leads(), NO_PRICE_LIST),
    "nested": group(group(clicked(), OPENED), group(leads(), never("email_bounced")), op="or"),
    "mixed and": group(DECISION_MAKER, group(clicked(), leads(), op="or")),
    "mixed or": group(DECISION_MAKER, group(OPENED, clicked()), op="or"),
    "mixed none": group(row("city", "eq", "Rome"), never("email_opened")),
    "seed example": group(
        related("lead_parent_contact", row("topic", "eq", "Conference")), DECISION_MAKER
    ),
}
ID_SETS = {
    "behaviour",
    "behaviour, any",
    "behaviour, no window",
    "counted leads",
    "counted deals",
    "leads on big accounts",
    "and",
    "or (three reasons)",
    "none behaviour",
    "none related",
    "nested",
}


def _population(container: Container) -> list[int]:
    """Ten contacts with a spread of clicks, opens, bounces, leads and deals."""
    big = make_account(container, name="Big", employee_count=500)
    small = make_account(container, name="Small", employee_count=5)
    roles = ["decision_maker", "employee", None]
    contacts = [
        make_contact(container, role=roles[n % 3], city=("Rome", "Paris")[n % 2]) for n in range(10)
    ]
    now = utcnow()
    interactions = []
    with container.uow() as uow:
        for n, contact_id in enumerate(contacts):
            for k in range(n % 4):  # 0 to 3 clicks, the older ones out of the 30 days
                when = now - timedelta(days=5 + 20 * k)
                interactions.append((contact_id, "email_clicked", when))
            if n % 3 == 0:
                interactions.append((contact_id, "email_opened", now))
            if n in (3, 7):
                interactions.append((contact_id, "email_bounced", now))
            for k in range(n % 4):  # 0 to 3 leads, the third about the price list
                create_lead(
                    {
                        "topic": "Price list" if k == 2 else "Conference",
                        "parent_contact_id": contact_id,
                        "parent_account_id": big if n % 2 else small,
                    },
                    uow=uow,
                )
            for k in range((n + 1) % 3):  # 0 to 2 deals
                status = "open" if k or n % 2 else "won"
                create_opportunity(
                    {"name": "Deal", "contact_id": contact_id, "status": status}, uow=uow
                )
        record_interactions(
            [
                {"contact_id": cid, "kind": kind, "occurred_at": when.isoformat()}
                for cid, kind, when in interactions
            ],
            uow=uow,
        )
        uow.commit()
    container.relay.drain()
    return contacts


def _rows(container: Container, statement: Select[Any], params: dict[str, Any]) -> list[Any]:
    with container.read_session() as session:
        return sorted(tuple(item) for item in session.execute(statement, params))


@pytest.mark.parametrize("name", list(TREES))
def test_the_id_set_shape_admits_the_same_contacts_for_the_same_reasons(
    container: Container, name: str
) -> None:
    _population(container)
    tree = validate_tree(TREES[name], container.registry())
    registry = container.registry()
    now = utcnow()

    new, new_cutoffs = compile_segment(tree, registry)
    old, old_cutoffs = compile_segment(tree, registry, id_sets=False)
    ids, _ = compile_segment(tree, registry, with_block=False)
    found = _rows(container, new, new_cutoffs.values(now))

    assert is_id_set(tree) is (name in ID_SETS)
    assert found == _rows(container, old, old_cutoffs.values(now))
    assert found, name  # each tree admits someone: the comparison is not of two nothings
    if name == "or (three reasons)":
        assert {block for _contact_id, block in found} == {0, 1, 2}  # each block a reason
    admitted = _rows(container, ids, new_cutoffs.values(now))
    assert admitted == [(contact_id,) for contact_id, _block in found]  # no repeats


@pytest.mark.parametrize("name", ["behaviour", "or (three reasons)", "none related", "mixed and"])
def test_scoped_to_some_contacts_the_id_set_shape_agrees_with_the_correlated_one(
    container: Container, name: str
) -> None:
    contacts = _population(container)
    tree = validate_tree(TREES[name], container.registry())
    registry = container.registry()
    now = utcnow()
    some = contacts[::2]

    full, cutoffs = compile_segment(tree, registry)
    correlated, correlated_cutoffs = compile_segment(tree, registry, correlated=True)
    scoped = _rows(container, scope_to_ids(full), {**cutoffs.values(now), "contact_ids": some})
    expected = _rows(
        container,
        scope_to_ids(correlated),
        {**correlated_cutoffs.values(now), "contact_ids": some},
    )

    assert scoped == expected
    assert {contact_id for contact_id, _block in scoped} <= set(some)
