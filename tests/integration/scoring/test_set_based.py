"""The engine's set-based write path: the comparison with the stored scores runs in SQL,
so an incremental rescore writes what a full one would, an unchanged lead is not
written, and a batch of touched leads costs the same statements however many there are."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import func, select

from leadflow.bootstrap import Container
from leadflow.interactions.services import record_interactions
from leadflow.lib.clock import utcnow
from leadflow.outbox import OutboxMessage, tracking_writes
from leadflow.scoring.compiler import LeadScope
from leadflow.scoring.engine import LiveModels, apply_model, rescore_leads
from leadflow.scoring.events import LeadScored, ScoreChanged
from leadflow.scoring.models import LeadScore, ScoreHistory
from leadflow.scoring.services import go_live, lead_scores, stop_model, update_model
from leadflow.scoring.writer import SCRATCH
from leadflow.switches.services import set_switch
from tests.integration.scoring.helpers import (
    live_model,
    make_account,
    make_contact,
    make_lead,
    record,
)
from tests.support.queries import count_queries

RULES: list[dict[str, Any]] = [
    {
        "name": "opens",
        "points": 3,
        "conditions": [
            {"type": "behaviour", "kind": "email_opened", "frequency": "each", "window_days": 30}
        ],
    },
    {
        "name": "pricing",
        "points": 10,
        "conditions": [
            {
                "type": "behaviour",
                "kind": "page_visited",
                "frequency": "at_least",
                "target_id": "/pricing",
                "window_days": 60,
            }
        ],
    },
    {
        "name": "London",
        "points": 5,
        "conditions": [{"entity": "contact", "field": "city", "op": "eq", "value": "London"}],
    },
]


def _stored(container: Container, model_id: int) -> dict[int, tuple[Any, ...]]:
    with container.read_session() as session:
        rows = session.execute(
            select(
                LeadScore.lead_id,
                LeadScore.score,
                LeadScore.grade,
                LeadScore.rule_times,
                LeadScore.explanation,
                LeadScore.model_version,
            ).where(LeadScore.model_id == model_id)
        ).all()
    return {row[0]: tuple(row[1:]) for row in rows}


def _people(container: Container, count: int) -> tuple[list[int], list[int]]:
    account = make_account(container, employee_count=50)
    contacts = [
        make_contact(container, city="London" if index % 2 else "Paris", account_id=account)
        for index in range(count)
    ]
    leads = [make_lead(container, parent_contact_id=contact) for contact in contacts]
    return contacts, leads


def _models(container: Container) -> list[Any]:
    with container.read_session() as session:
        return LiveModels().current(session, container.registry())


def test_an_incremental_rescore_writes_what_a_full_rescore_writes(container: Container) -> None:
    contacts, leads = _people(container, 4)
    orphan = make_lead(container)
    model_id = live_model(container, rules=RULES)
    now = utcnow()
    for index, contact in enumerate(contacts):
        for days in range(index + 1):
            record(container, contact, "email_opened", now - timedelta(days=days, hours=1))
        if index % 2 == 0:
            record(
                container, contact, "page_visited", now - timedelta(days=3), target_id="/pricing"
            )
    incremental = _stored(container, model_id)
    assert set(incremental) == set(leads) and orphan not in incremental
    assert incremental[leads[1]][0] == 2 * 3 + 5  # two opens, London
    assert incremental[leads[2]][0] == 3 * 3 + 10  # three opens, pricing, Paris

    with container.uow() as uow:
        uow.session.execute(LeadScore.__table__.delete().where(LeadScore.model_id == model_id))
        [model] = [each for each in _models(container) if each.id == model_id]
        result = apply_model(
            uow, model, now=utcnow(), scope=LeadScope(id_range=(min(leads), orphan))
        )
        uow.commit()

    assert result.scored == len(leads) and result.changed == 0
    assert _stored(container, model_id) == incremental


def test_an_unchanged_lead_is_not_written(container: Container) -> None:
    contacts, leads = _people(container, 3)
    model_id = live_model(container, rules=RULES)
    record(container, contacts[0], "email_opened", utcnow() - timedelta(hours=1))
    [model] = [each for each in _models(container) if each.id == model_id]
    with container.read_session() as session:
        before = dict(session.execute(select(LeadScore.lead_id, LeadScore.computed_at)).all())

    with container.uow() as uow, count_queries(container.engine) as statements:
        result = apply_model(uow, model, now=utcnow(), scope=LeadScope(lead_ids=leads))
        uow.commit()

    assert result.scored == 3 and result.changed == 0 and result.removed == 0
    # The comparison fills the per-connection scratch table (empty here); nothing stored
    # is written.
    scratch = tuple(f"INSERT INTO {table.name} " for table in SCRATCH)
    writes = [
        s
        for s in statements
        if s.lstrip().upper().startswith(("INSERT", "UPDATE")) and not s.startswith(scratch)
    ]
    assert writes == []
    with container.read_session() as session:
        after = dict(session.execute(select(LeadScore.lead_id, LeadScore.computed_at)).all())
    assert after == before


def test_a_lead_the_model_no_longer_scores_loses_its_score(container: Container) -> None:
    _contacts, leads = _people(container, 2)
    model_id = live_model(container, rules=RULES)
    assert set(_stored(container, model_id)) == set(leads)
    [model] = [each for each in _models(container) if each.id == model_id]
    lead_table = LeadScore.metadata.tables["leads"]
    with container.uow() as uow:
        # Written past the services so no event rescores it first.
        uow.session.execute(
            lead_table.update()
            .where(lead_table.c.id == leads[0])
            .values(parent_contact_id=None, parent_account_id=None)
        )
        result = apply_model(uow, model, now=utcnow(), scope=LeadScope(lead_ids=leads))
        uow.commit()

    assert result.removed == 1 and result.scored == 1
    assert set(_stored(container, model_id)) == {leads[1]}


def _rescore_statements(container: Container, contacts: list[int], leads: list[int]) -> int:
    with container.uow() as uow:
        # Recorded but left unhandled: the test runs the rescore itself.
        items = [{"contact_id": contact, "kind": "email_opened"} for contact in contacts]
        record_interactions(items, uow=uow)
        uow.commit()
    models = _models(container)
    with container.uow() as uow, count_queries(container.engine) as statements:
        result = rescore_leads(uow, models, leads, now=utcnow())
        uow.commit()
    assert result.changed == len(leads)
    return len(statements)


def test_a_batch_of_touched_leads_costs_the_same_statements_for_2_or_20(
    container: Container,
) -> None:
    contacts, leads = _people(container, 20)
    live_model(container, rules=RULES)

    few = _rescore_statements(container, contacts[:2], leads[:2])
    many = _rescore_statements(container, contacts, leads)

    assert few == many


def test_a_first_rescore_writes_one_history_row_and_one_event_per_lead(
    container: Container,
) -> None:
    contacts, leads = _people(container, 3)
    record(container, contacts[0], "email_opened", utcnow() - timedelta(hours=1))
    model_id = live_model(container, rules=RULES)

    stored = _stored(container, model_id)
    with container.read_session() as session:
        events = session.execute(
            select(OutboxMessage.subject, OutboxMessage.payload).where(
                OutboxMessage.event_type == LeadScored.name
            )
        ).all()
        history = session.execute(
            select(ScoreHistory.lead_id, ScoreHistory.old_score, ScoreHistory.new_score).where(
                ScoreHistory.model_id == model_id
            )
        ).all()
    # The rows the SQL wrote read back as the events the handlers expect.
    scored = [LeadScored.from_payload(payload) for _subject, payload in events]
    assert sorted((e.lead_id, e.model_id, e.score, e.grade) for e in scored) == sorted(
        (lead, model_id, stored[lead][0], stored[lead][1]) for lead in leads
    )
    assert sorted(subject for subject, _payload in events) == sorted(f"lead:{n}" for n in leads)
    assert sorted(history) == sorted((lead, None, stored[lead][0]) for lead in leads)
    assert stored[leads[0]][0] == 3 and stored[leads[1]][0] == 5  # an open; London


def test_a_new_version_rewrites_every_row_and_its_history_reads_the_old_explanation(
    container: Container,
) -> None:
    with container.uow() as uow:
        set_switch("scoring.delete_scores_on_stop", False, uow=uow)
        uow.commit()
    contacts, leads = _people(container, 2)
    model_id = live_model(container, rules=RULES)
    record(container, contacts[0], "email_opened", utcnow() - timedelta(hours=1))
    assert _stored(container, model_id)[leads[0]][0] == 3

    edited = [{**RULES[0], "points": 4}, *RULES[1:]]
    with container.uow() as uow:
        stop_model(model_id, uow=uow)
        update_model(model_id, {"rules": edited}, uow=uow)
        uow.commit()
    with container.uow() as uow:
        go_live(model_id, uow=uow)
        uow.commit()
    container.relay.drain()

    stored = _stored(container, model_id)
    assert {lead: (row[0], row[4]) for lead, row in stored.items()} == {
        leads[0]: (4, 2),
        leads[1]: (5, 2),  # the same score under the new version: no history row
    }
    with container.read_session() as session:
        first = lead_scores(session, leads[0])["history"]
        second = lead_scores(session, leads[1])["history"]
    assert [(item["old_score"], item["new_score"]) for item in first] == [(3, 4), (0, 3), (None, 0)]
    assert first[0]["changed_rules"] == [{"rule": 0, "name": "opens", "old": 3, "new": 4}]
    assert [(item["old_score"], item["new_score"]) for item in second] == [(None, 5)]


def test_rule_names_the_database_writes_into_json_read_back_as_written(
    container: Container,
) -> None:
    # The explanation and the history's changed rules are JSON text built in SQL:
    # quotes (the SQL's own too), backslashes, a printf-like percent and non-ASCII
    # letters must survive.
    name = 'Said "yes" \\ 100% sûr, it\'s'
    contacts, leads = _people(container, 1)
    rules = [{**RULES[0], "name": name}, RULES[2]]
    model_id = live_model(container, rules=rules, grades=[{"name": "Hot", "min": 3}])
    record(container, contacts[0], "email_opened", utcnow() - timedelta(hours=1))
    record(container, contacts[0], "email_opened", utcnow() - timedelta(hours=2))

    with container.read_session() as session:
        scores = lead_scores(session, leads[0])
    [score] = scores["scores"]
    assert (score["score"], score["grade"]) == (6, "Hot")
    assert score["explanation"] == [{"rule": 0, "name": name, "points": 3, "times": 2, "total": 6}]
    assert [item["changed_rules"] for item in scores["history"]] == [
        [{"rule": 0, "name": name, "old": 3, "new": 6}],
        [{"rule": 0, "name": name, "old": 0, "new": 3}],
        [],
    ]
    assert [(item["old_score"], item["new_score"]) for item in scores["history"]] == [
        (3, 6),
        (0, 3),
        (None, 0),
    ]
    assert model_id == score["model_id"]


def test_the_unit_reports_the_score_events_it_wrote(container: Container) -> None:
    """The events go in by one INSERT ... SELECT (on SQLite without RETURNING): the
    unit still reports each outbox row's id and subject after its commit, first scores
    and changed scores alike, and counts the changes."""
    contacts, leads = _people(container, 3)
    model_id = live_model(container, rules=RULES)
    record(container, contacts[0], "email_opened", utcnow() - timedelta(hours=1))
    [model] = [each for each in _models(container) if each.id == model_id]
    table = LeadScore.__table__
    with container.uow() as uow:
        # Lead 1's stored score is an older one, lead 2 has none.
        uow.session.execute(
            table.update()
            .where(table.c.model_id == model_id, table.c.lead_id == leads[1])
            .values(score=-100, rule_times="0,0,0")
        )
        uow.session.execute(
            table.delete().where(table.c.model_id == model_id, table.c.lead_id == leads[2])
        )
        uow.commit()
    with container.read_session() as session:
        before = int(session.scalar(select(func.max(OutboxMessage.id))) or 0)

    with tracking_writes() as writes, container.uow() as uow:
        result = apply_model(uow, model, now=utcnow(), scope=LeadScope(lead_ids=leads))
        uow.commit()

    with container.read_session() as session:
        rows = session.execute(
            select(OutboxMessage.id, OutboxMessage.subject, OutboxMessage.event_type).where(
                OutboxMessage.id > before
            )
        ).all()
    assert sorted((subject, event_type) for _id, subject, event_type in rows) == sorted(
        [(f"lead:{leads[1]}", ScoreChanged.name), (f"lead:{leads[2]}", LeadScored.name)]
    )
    assert sorted(writes.ids) == sorted(row_id for row_id, _subject, _type in rows)
    assert writes.subjects == {f"lead:{leads[1]}", f"lead:{leads[2]}"}
    assert result.changed == 1
