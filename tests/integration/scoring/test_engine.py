from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from leadflow.bootstrap import Container
from leadflow.contacts.services import delete_contact, update_contact
from leadflow.errors import Conflict, ValidationFailed
from leadflow.leads.events import LeadSalesReady
from leadflow.leads.models import Lead
from leadflow.leads.services import update_lead
from leadflow.lib.clock import utcnow
from leadflow.registry.services import add_custom_field
from leadflow.scoring import wiring as scoring_wiring
from leadflow.scoring.events import LeadScored, ScoreChanged
from leadflow.scoring.insight import what_if
from leadflow.scoring.models import LeadScore, ScoreHistory
from leadflow.scoring.services import (
    check_model,
    create_model,
    go_live,
    lead_scores,
    stop_model,
    update_model,
)
from leadflow.switches.services import set_switch
from tests.integration.scoring.helpers import (
    change_account,
    change_contact,
    live_model,
    make_account,
    make_contact,
    make_lead,
    record,
    score_of,
)


def _collect(container: Container, event_type: Any) -> list[Any]:
    seen: list[Any] = []
    container.bus.subscribe(event_type, seen.append, name=f"test.collect.{event_type.name}")
    return seen


def _custom_lead_fields(container: Container) -> None:
    with container.uow() as uow:
        for name in ("city", "country"):
            add_custom_field(
                {"entity": "lead", "name": name, "type": "text", "scorable": True}, uow=uow
            )
        uow.commit()
    container.relay.drain()


def test_the_worked_example_gives_110_40_and_70(container: Container) -> None:
    _custom_lead_fields(container)
    contact = make_contact(container)
    london_england = make_lead(
        container, parent_contact_id=contact, custom={"city": "London", "country": "England"}
    )
    manchester = make_lead(
        container, parent_contact_id=contact, custom={"city": "Manchester", "country": "England"}
    )
    london_ohio = make_lead(
        container, parent_contact_id=contact, custom={"city": "London", "country": "Ohio"}
    )
    rules = [
        {
            "name": "City is London",
            "points": 70,
            "conditions": [{"entity": "lead", "field": "city", "op": "eq", "value": "London"}],
        },
        {
            "name": "Country is England",
            "points": 40,
            "conditions": [{"entity": "lead", "field": "country", "op": "eq", "value": "England"}],
        },
    ]
    model = live_model(container, rules=rules)

    assert score_of(container, london_england, model) == 110
    assert score_of(container, manchester, model) == 40
    assert score_of(container, london_ohio, model) == 70
    with container.read_session() as session:
        explained = lead_scores(session, london_england)["scores"][0]["explanation"]
    assert [(item["name"], item["total"]) for item in explained] == [
        ("City is London", 70),
        ("Country is England", 40),
    ]


def test_an_account_based_lead_counts_every_member_and_the_account(container: Container) -> None:
    account = make_account(container, industry="Software", employee_count=800)
    first = make_contact(container, account_id=account)
    second = make_contact(container, account_id=account)
    outsider = make_contact(container)
    lead = make_lead(container, parent_account_id=account)
    now = utcnow()
    for contact in (first, second, second, outsider):
        record(container, contact, "email_opened", now - timedelta(days=1))
    model = live_model(
        container,
        entity_target="account",
        rules=[
            {
                "name": "Big software account",
                "points": 10,
                "conditions": [
                    {"entity": "account", "field": "industry", "op": "eq", "value": "Software"},
                    {"entity": "account", "field": "employee_count", "op": "gt", "value": 500},
                ],
            },
            {
                "name": "Opens",
                "points": 5,
                "conditions": [{"type": "behaviour", "kind": "email_opened", "frequency": "each"}],
            },
        ],
    )
    assert score_of(container, lead, model) == 25
    # Incremental: a third member's open raises the account lead at once.
    third = make_contact(container, account_id=account)
    record(container, third, "email_opened", now)
    assert score_of(container, lead, model) == 30


def test_an_account_lead_drops_a_member_that_moves_away_or_is_deleted(
    container: Container,
) -> None:
    account = make_account(container)
    elsewhere = make_account(container)
    mover = make_contact(container, account_id=account)
    leaver = make_contact(container, account_id=account)
    stayer = make_contact(container, account_id=account)
    lead = make_lead(container, parent_account_id=account)
    for contact in (mover, leaver, stayer):
        record(container, contact, "email_opened", utcnow() - timedelta(days=1))
    model = live_model(
        container,
        entity_target="account",
        rules=[
            {
                "name": "Opens",
                "points": 5,
                "conditions": [{"type": "behaviour", "kind": "email_opened", "frequency": "each"}],
            }
        ],
    )
    assert score_of(container, lead, model) == 15

    with container.uow() as uow:
        update_contact(mover, {"account_id": elsewhere}, uow=uow)
        uow.commit()
    container.relay.drain()
    assert score_of(container, lead, model) == 10

    with container.uow() as uow:
        delete_contact(leaver, uow=uow)
        uow.commit()
    container.relay.drain()
    assert score_of(container, lead, model) == 5


def test_unscorable_leads_say_why(container: Container) -> None:
    orphan = make_lead(container)
    contact = make_contact(container)
    contact_based = make_lead(container, parent_contact_id=contact)
    model = live_model(
        container,
        entity_target="account",
        rules=[
            {"points": 5, "conditions": [{"entity": "lead", "field": "topic", "op": "not_empty"}]}
        ],
    )
    with container.read_session() as session:
        orphan_view = lead_scores(session, orphan)
        contact_view = lead_scores(session, contact_based)
        rows = session.scalars(select(LeadScore).where(LeadScore.model_id == model)).all()
    assert rows == []
    assert "no parent contact or parent account" in (orphan_view["unscorable_reason"] or "")
    assert orphan_view["scores"][0]["score"] is None
    assert contact_view["unscorable_reason"] is None
    assert "contact-based" in contact_view["scores"][0]["unscorable_reason"]


def test_windows_expire_and_the_full_rescore_lowers_the_score(container: Container) -> None:
    contact = make_contact(container)
    lead = make_lead(container, parent_contact_id=contact)
    now = utcnow()
    record(container, contact, "page_visited", now - timedelta(days=5))
    record(container, contact, "page_visited", now - timedelta(days=1))
    model = live_model(
        container,
        rules=[
            {
                "name": "Recent visits",
                "points": 3,
                "conditions": [
                    {
                        "type": "behaviour",
                        "kind": "page_visited",
                        "frequency": "each",
                        "window_days": 7,
                    }
                ],
            }
        ],
    )
    assert score_of(container, lead, model) == 6
    with container.uow() as uow:
        from leadflow.scoring.services import start_rescore

        start_rescore(None, uow=uow, now=now + timedelta(days=3))
        uow.commit()
    assert score_of(container, lead, model) == 3
    with container.read_session() as session:
        history = lead_scores(session, lead)["history"]
    assert [(item["old_score"], item["new_score"]) for item in history] == [(6, 3), (None, 6)]
    assert history[0]["changed_rules"] == [{"rule": 0, "name": "Recent visits", "old": 6, "new": 3}]


def test_incremental_scores_publish_events_and_mark_sales_ready_once(
    container: Container,
) -> None:
    scored = _collect(container, LeadScored)
    changed = _collect(container, ScoreChanged)
    ready = _collect(container, LeadSalesReady)
    contact = make_contact(container, job_title="Chief Buyer")
    lead = make_lead(container, parent_contact_id=contact)
    model = live_model(
        container,
        sales_ready_threshold=20,
        grades=[
            {"name": "Cold", "min": None, "max": 9},
            {"name": "Warm", "min": 10, "max": 19},
            {"name": "Hot", "min": 20, "max": None},
        ],
        rules=[
            {
                "name": "Buyer",
                "points": 5,
                "conditions": [
                    {"entity": "contact", "field": "job_title", "op": "contains", "value": "buyer"}
                ],
            },
            {
                "name": "Clicks",
                "points": 10,
                "conditions": [
                    {
                        "type": "behaviour",
                        "kind": "email_clicked",
                        "frequency": "each",
                        "cap": 3,
                    }
                ],
            },
        ],
    )
    assert [(e.lead_id, e.score, e.grade) for e in scored] == [(lead, 5, "Cold")]
    now = utcnow()
    record(container, contact, "email_clicked", now)
    assert score_of(container, lead, model) == 15
    record(container, contact, "email_clicked", now)
    record(container, contact, "email_clicked", now)
    record(container, contact, "email_clicked", now)  # over the cap
    assert score_of(container, lead, model) == 35
    assert [(e.old_score, e.new_score, e.grade) for e in changed] == [
        (5, 15, "Warm"),
        (15, 25, "Hot"),
        (25, 35, "Hot"),
    ]
    assert [(e.lead_id, e.manual, e.model_id) for e in ready] == [(lead, False, model)]
    with container.read_session() as session:
        row = session.get(Lead, lead)
        assert row is not None
        assert row.sales_ready and row.sales_ready_source == "score"


@pytest.fixture
def rescored(monkeypatch: pytest.MonkeyPatch) -> list[set[int]]:
    """The lead ids each rescore after a change was asked for, in order."""
    calls: list[set[int]] = []
    # In one write transaction (PostgreSQL), or counted first and written after (SQLite).
    rescore = scoring_wiring.rescore_leads
    count = scoring_wiring.count_differing

    def spy_rescore(uow: Any, models: Any, lead_ids: Any, **kwargs: Any) -> Any:
        calls.append(set(lead_ids))
        return rescore(uow, models, lead_ids, **kwargs)

    def spy_count(session: Any, registry: Any, models: Any, lead_ids: Any, **kwargs: Any) -> Any:
        calls.append(set(lead_ids))
        return count(session, registry, models, lead_ids, **kwargs)

    monkeypatch.setattr(scoring_wiring, "rescore_leads", spy_rescore)
    monkeypatch.setattr(scoring_wiring, "count_differing", spy_count)
    return calls


def test_scored_field_changes_rescore_and_unrelated_ones_do_not(
    container: Container, rescored: list[set[int]]
) -> None:
    contact = make_contact(container, city="Paris")
    lead = make_lead(container, parent_contact_id=contact)
    model = live_model(
        container,
        rules=[
            {
                "points": 7,
                "conditions": [{"entity": "contact", "field": "city", "op": "eq", "value": "Lyon"}],
            }
        ],
    )
    assert score_of(container, lead, model) == 0
    rescored.clear()

    change_contact(container, contact, city="Lyon")
    assert (rescored, score_of(container, lead, model)) == ([{lead}], 7)
    # A field no rule reads: no rescore at all.
    change_contact(container, contact, last_name="Other")
    assert rescored == [{lead}]
    # A lead losing its parent loses its score under contact-based models.
    with container.uow() as uow:
        update_lead(lead, {"parent_contact_id": None}, uow=uow)
        uow.commit()
    container.relay.drain()
    assert rescored == [{lead}, {lead}]
    with container.read_session() as session:
        assert session.scalars(select(LeadScore)).all() == []


def test_an_account_field_change_rescores_the_accounts_leads_and_its_contacts_leads(
    container: Container, rescored: list[set[int]]
) -> None:
    account = make_account(container, employee_count=50)
    other = make_account(container, employee_count=50)
    member = make_contact(container, account_id=account)
    outsider = make_contact(container, account_id=other)
    account_lead = make_lead(container, parent_account_id=account)
    member_lead = make_lead(container, parent_contact_id=member)
    outsider_lead = make_lead(container, parent_contact_id=outsider)
    big = {"entity": "account", "field": "employee_count", "op": "gte", "value": 100}
    model = live_model(container, rules=[{"points": 9, "conditions": [big]}])
    scores = lambda: [score_of(container, lead, model) for lead in (member_lead, outsider_lead)]  # noqa: E731
    assert scores() == [0, 0]
    rescored.clear()

    change_account(container, account, employee_count=500)

    assert rescored == [{account_lead, member_lead}]
    assert scores() == [9, 0]
    # The account's name is read by no rule: nothing is rescored.
    change_account(container, account, name="Renamed")
    assert rescored == [{account_lead, member_lead}]


@pytest.mark.parametrize("switched_on", [True, False])
def test_the_auto_sales_ready_switch_decides_whether_a_score_sets_the_flag(
    container: Container, switched_on: bool
) -> None:
    with container.uow() as uow:
        set_switch("scoring.auto_sales_ready", switched_on, uow=uow)
        uow.commit()
    container.relay.drain()
    contact = make_contact(container)
    lead = make_lead(container, parent_contact_id=contact)
    model = live_model(
        container,
        sales_ready_threshold=1,
        rules=[
            {"points": 5, "conditions": [{"entity": "lead", "field": "topic", "op": "not_empty"}]}
        ],
    )
    assert score_of(container, lead, model) == 5
    with container.read_session() as session:
        row = session.get(Lead, lead)
        assert row is not None
        assert (row.sales_ready, row.sales_ready_source) == (
            (True, "score") if switched_on else (False, None)
        )


@pytest.mark.parametrize("delete_on_stop", [True, False])
def test_stopping_deletes_scores_only_when_the_switch_says(
    container: Container, delete_on_stop: bool
) -> None:
    with container.uow() as uow:
        set_switch("scoring.delete_scores_on_stop", delete_on_stop, uow=uow)
        uow.commit()
    container.relay.drain()
    contact = make_contact(container)
    make_lead(container, parent_contact_id=contact)
    model = live_model(
        container,
        rules=[
            {"points": 5, "conditions": [{"entity": "lead", "field": "topic", "op": "not_empty"}]}
        ],
    )
    with container.uow() as uow:
        with pytest.raises(Conflict):
            update_model(model, {"name": "Renamed"}, uow=uow)
        stop_model(model, uow=uow)
        uow.commit()
    container.relay.drain()
    with container.read_session() as session:
        left = session.scalars(select(LeadScore)).all()
        history = session.scalars(select(ScoreHistory)).all()
    assert len(left) == (0 if delete_on_stop else 1)
    assert len(history) == 1


def test_check_for_errors_and_what_if(container: Container) -> None:
    contact = make_contact(container, city="Oslo")
    make_lead(container, parent_contact_id=contact)
    make_lead(container, parent_contact_id=contact)
    make_lead(container)
    with container.uow() as uow:
        model = create_model({"name": "Draft", "sales_ready_threshold": 10}, uow=uow)
        uow.commit()
        model_id = model.id
    with container.read_session() as session:
        problems = check_model(session, container.registry(), model_id)
    assert problems == [{"field": "rules", "message": "a model needs at least one rule to go live"}]
    with container.uow() as uow:
        with pytest.raises(ValidationFailed) as failure:
            go_live(model_id, uow=uow)
        assert failure.value.field == "rules"
        with pytest.raises(ValidationFailed) as bad_grades:
            update_model(
                model_id,
                {
                    "grades": [
                        {"name": "Cold", "min": 0, "max": 25},
                        {"name": "Warm", "min": 20, "max": 60},
                    ]
                },
                uow=uow,
            )
        assert "Warm" in bad_grades.value.message and "overlaps" in bad_grades.value.message
        update_model(
            model_id,
            {
                "rules": [
                    {
                        "points": 12,
                        "conditions": [
                            {
                                "entity": "contact",
                                "field": "city",
                                "op": "in",
                                "value": ["Oslo", "Bergen"],
                            }
                        ],
                    }
                ]
            },
            uow=uow,
        )
        uow.commit()
    container.relay.drain()
    with container.read_session() as session:
        summary = what_if(session, container.registry(), model_id)
        assert session.scalars(select(LeadScore)).all() == []
    assert summary["leads_scored"] == 2
    assert summary["would_become_sales_ready"] == 2
    assert summary["unscorable"] == 1
