"""Random sequences of record changes: the membership kept by the events always equals
a full rebuild, for every kind of node and a compound segment, on both databases."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leadflow.bootstrap import Container
from leadflow.lib.clock import utcnow
from tests.conftest import seeded_state
from tests.integration.segments.helpers import (
    change_account,
    change_contact,
    change_lead,
    full_rebuild,
    group,
    live_segment,
    make_account,
    make_contact,
    make_lead,
    make_opportunity,
    members_of,
    record,
    related,
    row,
)

ROLES = ["decision_maker", "employee", None]
TOPICS = ["Contoso Ltd Conference", "Spring webinar", "Price list"]
SOURCES = ["event", "manual"]

TREES: list[dict[str, Any]] = [
    # The seed's example.
    group(
        related("lead_parent_contact", row("topic", "eq", "Contoso Ltd Conference")),
        row("role", "eq", "decision_maker"),
    ),
    # Same record: topic and source on one lead; or a big account.
    group(
        related("lead_parent_contact", row("topic", "contains", "conference"), row("source", "eq", "event")),  # noqa: E501
        related("contact_account", row("employee_count", "gte", 100)),
        op="or",
    ),
    # Counts.
    group(related("lead_parent_contact", count="at_least", min=2)),
    group(related("lead_parent_contact", row("topic", "eq", "Price list"), count="none")),
    # Opportunities and behaviour.
    group(related("opportunity_contact", row("status", "eq", "open"))),
    group({"type": "behaviour", "kind": "email_clicked", "count": "at_least", "min": 2, "window_days": 30}),  # noqa: E501
    group(
        {"type": "behaviour", "kind": "email_opened", "count": "none"},
        row("city", "eq", ["London", "Paris"]),
    ),
]  # fmt: skip

operations = st.one_of(
    st.tuples(st.just("role"), st.integers(0, 3), st.sampled_from(ROLES)),
    st.tuples(st.just("city"), st.integers(0, 3), st.sampled_from(["London", "Rome", None])),
    st.tuples(st.just("account"), st.integers(0, 3), st.sampled_from([0, 1, None])),
    st.tuples(st.just("lead"), st.integers(0, 3), st.sampled_from(TOPICS), st.sampled_from(SOURCES)),  # noqa: E501
    st.tuples(st.just("topic"), st.integers(0, 5), st.sampled_from(TOPICS)),
    st.tuples(st.just("employees"), st.integers(0, 1), st.sampled_from([10, 500])),
    st.tuples(st.just("deal"), st.integers(0, 3), st.sampled_from(["open", "won"])),
    st.tuples(st.just("click"), st.integers(0, 3), st.sampled_from(["email_clicked", "email_opened"]), st.integers(0, 20)),  # noqa: E501
)  # fmt: skip


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=st.lists(operations, min_size=1, max_size=8))
def test_incremental_membership_equals_a_full_rebuild(
    container: Container, steps: list[tuple[Any, ...]]
) -> None:
    seeded_state(container)  # each example starts from the seeded defaults
    accounts = [make_account(container, employee_count=10), make_account(container, name="B")]
    contacts = [
        make_contact(container, role="decision_maker", city="London", account_id=accounts[0]),
        make_contact(container, role="employee", city="Paris"),
        make_contact(container, city="Rome", account_id=accounts[1]),
        make_contact(container, role="decision_maker"),
    ]
    leads = [make_lead(container, topic="Spring webinar", parent_contact_id=contacts[0])]
    segments = [live_segment(container, tree) for tree in TREES]
    compound = live_segment(
        container,
        kind="compound",
        parts=[
            {"segment_id": segments[0]},
            {"segment_id": segments[5], "op": "union"},
            {"segment_id": segments[3], "op": "exclude"},
        ],
    )
    started = utcnow()

    for step in steps:
        match step:
            case ("role", index, value):
                change_contact(container, contacts[index], role=value)
            case ("city", index, value):
                change_contact(container, contacts[index], city=value)
            case ("account", index, which):
                account = None if which is None else accounts[which]
                change_contact(container, contacts[index], account_id=account)
            case ("lead", index, topic, source):
                leads.append(
                    make_lead(
                        container, topic=topic, source=source, parent_contact_id=contacts[index]
                    )
                )
            case ("topic", index, topic):
                change_lead(container, leads[index % len(leads)], topic=topic)
            case ("employees", index, count):
                change_account(container, accounts[index], employee_count=count)
            case ("deal", index, status):
                make_opportunity(container, contact_id=contacts[index], status=status)
            case ("click", index, kind, days):
                when = started - timedelta(days=days, hours=12)
                record(container, contacts[index], kind, when)

    for segment_id in [*segments, compound]:
        assert members_of(container, segment_id) == full_rebuild(container, segment_id), segment_id
