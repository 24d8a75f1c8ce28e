"""Migration 0009 on rows written before it: the builtin move rules and their runs go, the
default process gets a version with transitions that keeps what was set on the rules."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, create_engine, insert, select

from leadflow.automation.models import AutomationRule, RuleRun
from leadflow.db.migrate import downgrade, upgrade
from leadflow.process import domain
from leadflow.process.domain import LeadEvent
from leadflow.process.models import ProcessDefinitionRow

NOW = datetime(2026, 5, 1, tzinfo=UTC)
EVERY_BEFORE_SALES = [
    domain.INQUIRY,
    domain.MARKETING_QUALIFICATION,
    domain.TELEMARKETING_ACCEPTANCE,
    domain.TELEMARKETING_QUALIFICATION,
]


def _body_before() -> dict[str, Any]:
    """The default process as 0005-0008 stored it: flag ticks as events of their own."""
    body = copy.deepcopy(domain.DEFAULT_PROCESS)
    del body["transitions"]
    body["moves"] = [
        {"when": "lead.scored", "to": domain.MARKETING_QUALIFICATION, "from": [domain.INQUIRY]},
        {"when": "lead.sales_ready", "to": domain.SALES_ACCEPTANCE, "from": EVERY_BEFORE_SALES},
    ]
    return body


def _rule(engine: Engine, key: str, *, enabled: bool, only_from: str = "") -> None:
    action = {"type": "move_to_stage", "stage": domain.SALES_ACCEPTANCE, "only_from": only_from}
    with engine.begin() as connection:
        rule_id = connection.execute(
            insert(AutomationRule.__table__)
            .returning(AutomationRule.__table__.c.id)
            .values(
                key=key,
                name=key,
                description="",
                group="Process",
                trigger="lead.updated",
                match="all",
                conditions=[],
                actions=[action],
                enabled=enabled,
                builtin=not key.startswith("mine."),
                position=10,
                secret="",
                created_at=NOW,
                updated_at=NOW,
            )
        ).scalar_one()
        connection.execute(
            insert(RuleRun.__table__).values(
                rule_id=rule_id, event_name="lead.updated", status="done", message="", ran_at=NOW
            )
        )


def _given_a_database_at_0008(url: str) -> Engine:
    upgrade(url, "0008")
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(
            insert(ProcessDefinitionRow.__table__).values(
                key=domain.DEFAULT_PROCESS_KEY,
                version=1,
                name="Lead to opportunity marketing sales process",
                entity="lead",
                body=_body_before(),
                is_default=True,
                created_at=NOW,
            )
        )
    # Switched off by the organisation; from-stages narrowed by it; as shipped; a user's own.
    _rule(engine, "process.sales_ready_to_sales_acceptance", enabled=False)
    _rule(
        engine,
        "process.telemarketing_ready_to_acceptance",
        enabled=True,
        only_from=domain.INQUIRY,
    )
    _rule(
        engine,
        "process.telemarketing_accepted_to_qualification",
        enabled=True,
        only_from=f"{domain.INQUIRY},{domain.MARKETING_QUALIFICATION},"
        f"{domain.TELEMARKETING_ACCEPTANCE}",
    )
    _rule(engine, "mine.move_big_leads", enabled=True)
    return engine


def _bodies(engine: Engine) -> dict[int, dict[str, Any]]:
    table = ProcessDefinitionRow.__table__
    with engine.connect() as connection:
        rows = connection.execute(select(table.c.version, table.c.body).order_by(table.c.version))
        return {version: body for version, body in rows}


def test_0009_turns_the_move_rules_into_transitions_of_a_new_default_version(
    fresh_url: str,
) -> None:
    engine = _given_a_database_at_0008(fresh_url)

    upgrade(fresh_url, "0009")

    with engine.connect() as connection:
        rules = connection.execute(select(AutomationRule.__table__.c.key)).scalars().all()
        runs = (
            connection.execute(
                select(AutomationRule.__table__.c.key).join(
                    RuleRun.__table__,
                    RuleRun.__table__.c.rule_id == AutomationRule.__table__.c.id,
                )
            )
            .scalars()
            .all()
        )
        default = connection.execute(
            select(ProcessDefinitionRow.__table__.c.is_default).where(
                ProcessDefinitionRow.__table__.c.version == 2
            )
        ).scalar_one()
    assert rules == ["mine.move_big_leads"]
    assert runs == ["mine.move_big_leads"]
    assert default is True
    bodies = _bodies(engine)
    assert sorted(bodies) == [1, 2]
    definition = domain.parse_definition(bodies[2])
    by_key = {t.key: t for t in definition.transitions}
    assert list(by_key) == [
        "first_score",
        "sales_ready",
        "telemarketing_ready",
        "telemarketing_accepted",
    ]
    assert (by_key["first_score"].on, by_key["first_score"].switch) == (
        (LeadEvent.FIRST_SCORED,),
        "scoring.auto_marketing_qualification",
    )
    assert (by_key["sales_ready"].enabled, by_key["sales_ready"].from_stages) == (
        False,
        tuple(EVERY_BEFORE_SALES),
    )
    assert by_key["telemarketing_ready"].from_stages == (domain.INQUIRY,)
    assert (
        by_key["telemarketing_accepted"]
        == domain.parse_definition(domain.DEFAULT_PROCESS).transitions[3]
    )
    assert definition.version == 2
    assert "moves" not in bodies[2]
    engine.dispose()


def test_0009_downgrades_giving_definitions_back_their_moves(fresh_url: str) -> None:
    engine = _given_a_database_at_0008(fresh_url)
    upgrade(fresh_url, "0009")

    downgrade(fresh_url, "0008")

    bodies = _bodies(engine)
    assert "transitions" not in bodies[2]
    # The switched-off sales-ready move has no place in the older shape.
    assert bodies[2]["moves"] == [
        {"when": "lead.scored", "to": domain.MARKETING_QUALIFICATION, "from": [domain.INQUIRY]},
        {
            "when": "lead.telemarketing_ready",
            "to": domain.TELEMARKETING_ACCEPTANCE,
            "from": [domain.INQUIRY],
        },
        {
            "when": "lead.telemarketing_accepted",
            "to": domain.TELEMARKETING_QUALIFICATION,
            "from": [
                domain.INQUIRY,
                domain.MARKETING_QUALIFICATION,
                domain.TELEMARKETING_ACCEPTANCE,
            ],
        },
    ]
    assert bodies[1] == _body_before()
    engine.dispose()
