"""Incremental engine == full set-based engine == plain Python reference, on random
models and interaction histories, on both databases."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
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
from tests.conftest import empty_tables
from tests.integration.scoring.helpers import (
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

histories = st.lists(
    st.tuples(
        st.integers(0, 3),
        st.sampled_from(KINDS),
        st.sampled_from(["a", "b"]),
        st.integers(0, 14),
        st.sampled_from([None, "pro", "free"]),
    ),
    max_size=10,
)


def _rows(container: Container, entity: str) -> dict[int, dict[str, Any]]:
    table = table_for(entity)
    with container.read_session() as session:
        return {row["id"]: dict(row) for row in session.execute(select(table)).mappings()}


@settings(
    max_examples=30,
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
def test_incremental_full_and_reference_agree(
    container: Container,
    target: str,
    model_rules: list[dict[str, Any]],
    cities: list[str | None],
    employees: int | None,
    history: list[tuple[int, str, str, int, str | None]],
) -> None:
    empty_tables(container)
    container.seed_defaults()
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

    started = utcnow()
    for contact_index, kind, target_id, days_ago, plan in history:
        # Half a day off the boundary, so the few ms between events never cross a window edge.
        when = started - timedelta(days=days_ago, hours=12)
        data = {"plan": plan} if plan else {}
        record(container, contacts[contact_index], kind, when, target_id=target_id, data=data)
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
