"""Incremental engine == full set-based engine == plain Python reference, on random
models and histories after go-live (interactions, field changes, contacts moving
between accounts), on both databases.

The examples are drawn from a fixed seed (the `ci` profile, tests/conftest.py), so
a run that fails fails again; `make property` draws many more, at random. The
pinned `@example`s run every time: account-based leads and window edges.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from leadflow.bootstrap import Container
from leadflow.lib.clock import utcnow
from leadflow.registry.sql import table_for
from leadflow.scoring.compiler import LeadScope
from leadflow.scoring.domain import Target, parse_definition
from leadflow.scoring.engine import compute_times
from leadflow.scoring.models import LeadScore
from leadflow.scoring.reference import evaluate
from tests.conftest import seeded_state
from tests.integration.scoring.helpers import (
    change_account,
    change_contact,
    live_model,
    make_account,
    make_contact,
    make_lead,
    record,
)

CITIES = ["London", "Paris", "Lyon", None]
KINDS = ["email_opened", "page_visited"]

field_conditions = st.one_of(
    st.builds(
        lambda op, value: {"entity": "contact", "field": "city", "op": op, "value": value},
        st.sampled_from(["eq", "ne"]),
        st.sampled_from(["London", "Paris"]),
    ),
    st.builds(
        lambda value: {"entity": "contact", "field": "city", "op": "in", "value": value},
        st.lists(st.sampled_from(["London", "Lyon"]), min_size=1, max_size=2, unique=True),
    ),
    st.builds(
        lambda op, value: {"entity": "contact", "field": "city", "op": op, "value": value},
        st.sampled_from(["contains", "startswith", "endswith"]),
        st.sampled_from(["on", "l", "is"]),
    ),
    st.builds(
        lambda op: {"entity": "contact", "field": "city", "op": op},
        st.sampled_from(["empty", "not_empty"]),
    ),
    st.builds(
        lambda op, value: {
            "entity": "account",
            "field": "employee_count",
            "op": op,
            "value": value,
        },
        st.sampled_from(["gt", "gte", "lt", "lte", "eq"]),
        st.sampled_from([10, 100, 500]),
    ),
    st.builds(
        lambda low, high: {
            "entity": "account",
            "field": "employee_count",
            "op": "between",
            "value": [low, low + high],
        },
        st.sampled_from([0, 50, 200]),
        st.sampled_from([0, 100, 1000]),
    ),
    st.builds(
        lambda value: {"entity": "lead", "field": "topic", "op": "contains", "value": value},
        st.sampled_from(["demo", "price"]),
    ),
)

behaviour_conditions = st.builds(
    lambda kind, frequency, min_count, cap, window, target, plan: {
        "type": "behaviour",
        "kind": kind,
        "frequency": frequency,
        "min_count": min_count,
        "cap": cap if frequency == "each" else None,
        "window_days": window,
        "target_id": target,
        "data": {"plan": plan} if plan else {},
    },
    st.sampled_from(KINDS),
    st.sampled_from(["each", "at_least", "none"]),
    st.integers(1, 3),
    st.one_of(st.none(), st.integers(1, 3)),
    st.one_of(st.none(), st.integers(1, 10)),
    st.one_of(st.none(), st.sampled_from(["a", "b"])),
    st.one_of(st.none(), st.sampled_from(["pro", "free"])),
)

rules = st.builds(
    lambda points, fields, behaviour: {
        "points": points,
        "conditions": fields + behaviour,
    },
    st.integers(-20, 30).filter(bool),
    st.lists(field_conditions, max_size=2),
    st.lists(behaviour_conditions, max_size=1),
).filter(lambda rule: bool(rule["conditions"]))

interactions = st.tuples(
    st.just("interaction"),
    st.integers(0, 3),
    st.sampled_from(KINDS),
    st.sampled_from(["a", "b"]),
    st.integers(0, 14),
    st.sampled_from([None, "pro", "free"]),
)
# After go-live: a contact's city changes, an account's size changes, a contact
# moves to the other account or leaves its account.
field_changes = st.one_of(
    st.tuples(st.just("city"), st.integers(0, 3), st.sampled_from(CITIES)),
    st.tuples(st.just("employees"), st.integers(0, 1), st.sampled_from([None, 50, 500])),
    st.tuples(st.just("move"), st.integers(0, 3), st.sampled_from([0, 1, None])),
)
histories = st.lists(st.one_of(interactions, field_changes), max_size=10)

Step = tuple[Any, ...]


def _rows(container: Container, entity: str) -> dict[int, dict[str, Any]]:
    table = table_for(entity)
    with container.read_session() as session:
        return {row["id"]: dict(row) for row in session.execute(select(table)).mappings()}


# An account-based model; the account-only lead (no contact) scores from its
# account's contacts' interactions, and keeps doing so as they come in.
ACCOUNT_BEHAVIOUR = {
    "type": "behaviour",
    "kind": "email_opened",
    "frequency": "each",
    "min_count": 1,
    "cap": None,
    "window_days": 7,
    "target_id": None,
    "data": {},
}


@pytest.mark.property
@pytest.mark.slow
@settings(
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    target=st.sampled_from(["contact", "account"]),
    model_rules=st.lists(rules, min_size=1, max_size=4),
    cities=st.lists(st.sampled_from(CITIES), min_size=4, max_size=4),
    employees=st.sampled_from([None, 50, 500]),
    history=histories,
)
# Account-based leads: interactions of the account's contacts after go-live.
@example(
    target="account",
    model_rules=[{"points": 10, "conditions": [ACCOUNT_BEHAVIOUR]}],
    cities=["London", "Paris", None, "Lyon"],
    employees=500,
    history=[
        ("interaction", 0, "email_opened", "a", 1, None),
        ("interaction", 1, "email_opened", "a", 2, None),
        ("interaction", 3, "email_opened", "b", 0, None),
    ],
)
# Account-based leads: a contact moves into the account, then interacts; another leaves.
@example(
    target="account",
    model_rules=[
        {"points": 10, "conditions": [ACCOUNT_BEHAVIOUR]},
        {
            "points": 5,
            "conditions": [
                {"entity": "account", "field": "employee_count", "op": "gte", "value": 100}
            ],
        },
    ],
    cities=["London", "Paris", None, "Lyon"],
    employees=50,
    history=[
        ("move", 2, 0),
        ("interaction", 2, "email_opened", "a", 1, None),
        ("move", 1, None),
        ("employees", 0, 500),
        ("interaction", 1, "email_opened", "a", 1, None),
    ],
)
# Windows: an interaction just inside the 7 days and one just outside.
@example(
    target="contact",
    model_rules=[{"points": 10, "conditions": [ACCOUNT_BEHAVIOUR]}],
    cities=["London", "Paris", None, "Lyon"],
    employees=None,
    history=[
        ("interaction", 0, "email_opened", "a", 6, None),
        ("interaction", 0, "email_opened", "a", 7, None),
        ("interaction", 1, "email_opened", "a", 8, None),
    ],
)
# Field changes after go-live flip a field rule on and off.
@example(
    target="contact",
    model_rules=[
        {
            "points": 7,
            "conditions": [{"entity": "contact", "field": "city", "op": "eq", "value": "London"}],
        },
        {
            "points": 3,
            "conditions": [
                {"entity": "account", "field": "employee_count", "op": "lt", "value": 100}
            ],
        },
    ],
    cities=["Paris", "London", None, "Lyon"],
    employees=500,
    history=[("city", 0, "London"), ("city", 1, None), ("employees", 0, 50), ("employees", 1, 500)],
)
def test_incremental_full_and_reference_agree(
    container: Container,
    target: str,
    model_rules: list[dict[str, Any]],
    cities: list[str | None],
    employees: int | None,
    history: list[Step],
) -> None:
    seeded_state(container)  # each example starts from the seeded defaults
    account = make_account(container, employee_count=employees)
    other_account = make_account(container, employee_count=100)
    contacts = [
        make_contact(container, city=cities[0], account_id=account),
        make_contact(container, city=cities[1], account_id=account),
        make_contact(container, city=cities[2]),
        make_contact(container, city=cities[3], account_id=other_account),
    ]
    make_lead(container, parent_contact_id=contacts[0], topic="demo request")
    make_lead(container, parent_contact_id=contacts[2], topic="price list")
    make_lead(container, parent_contact_id=contacts[3], parent_account_id=account)
    make_lead(container, parent_account_id=account, topic="demo")
    make_lead(container, parent_account_id=other_account)
    make_lead(container)
    model_id = live_model(container, entity_target=target, rules=model_rules)

    accounts = [account, other_account]
    started = utcnow()
    for step in history:
        if step[0] == "interaction":
            _, contact_index, kind, target_id, days_ago, plan = step
            # Half a day off the boundary, so the few ms between events never cross a window edge.
            when = started - timedelta(days=days_ago, hours=12)
            data = {"plan": plan} if plan else {}
            record(container, contacts[contact_index], kind, when, target_id=target_id, data=data)
        elif step[0] == "city":
            change_contact(container, contacts[step[1]], city=step[2])
        elif step[0] == "employees":
            change_account(container, accounts[step[1]], employee_count=step[2])
        else:
            moved_to = None if step[2] is None else accounts[step[2]]
            change_contact(container, contacts[step[1]], account_id=moved_to)
    now = utcnow()

    registry = container.registry()
    with container.read_session() as session:
        incremental = {
            row.lead_id: row.score
            for row in session.scalars(select(LeadScore).where(LeadScore.model_id == model_id))
        }
        definition, problems = parse_definition({"rules": model_rules}, registry)
        assert not problems.items
        full_times = compute_times(
            session, registry, definition, Target(target), now=now, scope=LeadScope()
        )
    full = {
        lead_id: sum(rule.points * t for rule, t in zip(definition.rules, times, strict=True))
        for lead_id, times in full_times.items()
    }

    leads, contact_rows = _rows(container, "lead"), _rows(container, "contact")
    account_rows, interactions = _rows(container, "account"), _rows(container, "interaction")
    reference: dict[int, int] = {}
    for lead in leads.values():
        contact = contact_rows.get(lead["parent_contact_id"])
        account_id = (contact or {}).get("account_id") or lead["parent_account_id"]
        if contact is not None:
            own = [row for row in interactions.values() if row["contact_id"] == contact["id"]]
        else:
            members = {c["id"] for c in contact_rows.values() if c["account_id"] == account_id}
            own = [row for row in interactions.values() if row["contact_id"] in members]
        times = evaluate(
            definition,
            registry,
            target=Target(target),
            lead=lead,
            contact=contact,
            account=account_rows.get(account_id) if account_id else None,
            interactions=own,
            now=now,
        )
        if times is not None:
            reference[lead["id"]] = sum(
                rule.points * t for rule, t in zip(definition.rules, times, strict=True)
            )

    assert full == reference
    assert incremental == reference
