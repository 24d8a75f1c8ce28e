"""Automatic transitions of the process definition, run by the process handler on a database:
a lead created ready ends in the right stage whatever order the handlers run in, a batch
costs the same few statements whatever its size, switched-off transitions stay still."""

from __future__ import annotations

import copy
from collections.abc import Callable

import pytest
from sqlalchemy import delete, select

from leadflow.bootstrap import Container
from leadflow.leads.services import create_lead
from leadflow.process import domain
from leadflow.process import services as process
from leadflow.process.domain import LeadEvent, LeadNews
from leadflow.process.models import ProcessInstance, StageTransition
from leadflow.sales.models import Task
from tests.integration.process.helpers import new_lead, stage_of, tick
from tests.support.queries import count_queries


@pytest.fixture(params=["as wired", "reversed"])
def handler_order(request: pytest.FixtureRequest, container: Container) -> str:
    if request.param == "reversed":
        container.bus.reorder(list(reversed(container.bus.names)))
    return str(request.param)


@pytest.mark.parametrize(
    ("flags", "stage", "queue"),
    [
        ({"sales_ready": True}, domain.SALES_ACCEPTANCE, domain.SALES_ACCEPTANCE_QUEUE),
        ({"telemarketing_ready": True}, domain.TELEMARKETING_ACCEPTANCE, "telemarketing"),
        ({"telemarketing_accepted": True}, domain.TELEMARKETING_QUALIFICATION, None),
        # Sales-ready skips telemarketing even when the telemarketing flags are set too.
        (
            {"sales_ready": True, "telemarketing_ready": True, "telemarketing_accepted": True},
            domain.SALES_ACCEPTANCE,
            domain.SALES_ACCEPTANCE_QUEUE,
        ),
    ],
)
def test_a_lead_created_ready_ends_in_its_stage_whatever_the_handler_order(
    container: Container,
    handler_order: str,
    flags: dict[str, bool],
    stage: str,
    queue: str | None,
) -> None:
    assert container.bus.names.index("process.transitions") != (
        0 if handler_order == "reversed" else len(container.bus.names) - 1
    )

    lead_id = new_lead(container, **flags)

    assert stage_of(container, lead_id) == stage
    with container.read_session() as session:
        open_queues = session.scalars(
            select(Task.queue).where(Task.lead_id == lead_id, Task.status == "open")
        ).all()
    assert open_queues == ([queue] if queue else [])


def test_a_lead_created_telemarketing_ready_and_accepted_passes_through_acceptance(
    container: Container,
) -> None:
    lead_id = new_lead(container, telemarketing_ready=True, telemarketing_accepted=True)

    with container.read_session() as session:
        moves = session.execute(
            select(StageTransition.to_stage, StageTransition.rule)
            .where(StageTransition.lead_id == lead_id)
            .order_by(StageTransition.id)
        ).all()
        tasks = session.execute(select(Task.queue, Task.status).where(Task.lead_id == lead_id))
        task_states = [tuple(task) for task in tasks]
    assert [tuple(move) for move in moves] == [
        (domain.INQUIRY, None),
        (domain.TELEMARKETING_ACCEPTANCE, "process.telemarketing_ready"),
        (domain.TELEMARKETING_QUALIFICATION, "process.telemarketing_accepted"),
    ]
    # The acceptance task opened on the way is not left open behind the lead.
    assert all(status != "open" for _, status in task_states)


def _switched_off(container: Container, transition_key: str) -> None:
    with container.uow() as uow:
        data = copy.deepcopy(process.export_definition(uow.session, domain.DEFAULT_PROCESS_KEY))
        for transition in data["transitions"]:
            if transition["key"] == transition_key:
                transition["enabled"] = False
        process.save_definition(data, uow=uow)
        uow.commit()
    container.relay.drain()


def test_a_transition_switched_off_in_the_definition_moves_no_lead(container: Container) -> None:
    moved = new_lead(container)
    tick(container, moved, sales_ready=True)
    assert stage_of(container, moved) == domain.SALES_ACCEPTANCE

    _switched_off(container, "sales_ready")
    still = new_lead(container)
    tick(container, still, sales_ready=True)

    assert stage_of(container, still) == domain.INQUIRY


def test_leads_that_started_under_an_older_version_follow_the_version_in_force(
    container: Container,
) -> None:
    lead_id = new_lead(container)

    _switched_off(container, "telemarketing_ready")
    tick(container, lead_id, telemarketing_ready=True)

    assert stage_of(container, lead_id) == domain.INQUIRY


def test_editing_another_field_of_a_ready_lead_moved_back_by_hand_leaves_it_there(
    container: Container,
) -> None:
    lead_id = new_lead(container, telemarketing_ready=True)
    assert stage_of(container, lead_id) == domain.TELEMARKETING_ACCEPTANCE
    with container.uow() as uow:
        process.set_active_stage(lead_id, domain.INQUIRY, uow=uow)
        uow.commit()
    container.relay.drain()

    tick(container, lead_id, topic="Contoso Ltd Conference")

    assert stage_of(container, lead_id) == domain.INQUIRY


def test_no_shipped_move_is_an_automation_rule(container: Container) -> None:
    from leadflow.automation.services import list_rules

    with container.read_session() as session:
        keys = {rule.key for rule in list_rules(session)}
    assert "sales.qualified_clears_marketing_only" in keys
    assert not any(key.startswith("process.") for key in keys)


def _leads(container: Container, count: int) -> list[int]:
    with container.uow() as uow:
        ids = [
            create_lead({"last_name": f"Lead {i}", "company_name": "Analytical"}, uow=uow).id
            for i in range(count)
        ]
        uow.commit()
    container.relay.drain()
    return ids


def _first_scores(container: Container, lead_ids: list[int]) -> list[str]:
    news = {lead_id: LeadNews(frozenset({LeadEvent.FIRST_SCORED})) for lead_id in lead_ids}
    with container.uow() as uow:
        # The field registry is cached for a few seconds: loaded before counting.
        assert uow.registry is not None
        with count_queries(container.engine) as statements:
            moves = process.run_transitions(news, uow=uow)
            uow.commit()
    assert moves == len(lead_ids)
    return statements


def test_a_batch_of_first_scores_costs_the_same_statements_whatever_its_size(
    container: Container,
) -> None:
    small, large = _leads(container, 50), _leads(container, 500)

    few = _first_scores(container, small)
    many = _first_scores(container, large)

    # Definitions, leads, instances, switches read; instances updated, history and
    # outbox inserted: one statement each.
    assert len(few) == len(many) == 7, many
    with container.read_session() as session:
        assert set(process.active_stages(session, large).values()) == {
            domain.MARKETING_QUALIFICATION
        }


def test_a_lead_loaded_without_its_process_gets_one_when_it_is_first_scored(
    container: Container,
) -> None:
    # Bulk loads write leads without events: their instance starts with the first move.
    lead_ids = _leads(container, 3)
    with container.uow() as uow:
        uow.session.execute(delete(StageTransition).where(StageTransition.lead_id.in_(lead_ids)))
        uow.session.execute(delete(ProcessInstance).where(ProcessInstance.lead_id.in_(lead_ids)))
        uow.commit()

    _first_scores(container, lead_ids)

    with container.read_session() as session:
        assert process.active_stages(session, lead_ids) == dict.fromkeys(
            lead_ids, domain.MARKETING_QUALIFICATION
        )


def test_a_version_saved_by_another_process_is_in_force_at_the_next_batch(
    container: Container, make_container: Callable[..., Container]
) -> None:
    moved = new_lead(container)
    tick(container, moved, sales_ready=True)  # this process now keeps the definitions
    assert stage_of(container, moved) == domain.SALES_ACCEPTANCE

    other = make_container()
    _switched_off(other, "sales_ready")
    still = new_lead(container)
    tick(container, still, sales_ready=True)

    assert stage_of(container, still) == domain.INQUIRY


def test_definitions_kept_per_process_are_read_again_only_when_they_changed(
    container: Container,
) -> None:
    new_lead(container)  # the definitions are read and kept
    with container.uow() as uow, count_queries(container.engine) as kept:
        process.definitions_in_force(uow.session)
    _switched_off(container, "sales_ready")
    with container.uow() as uow, count_queries(container.engine) as changed:
        definitions, default_key = process.definitions_in_force(uow.session)

    assert len(kept) == 1  # the stamp alone
    assert len(changed) == 3  # the stamp, the definitions, the default
    sales_ready = next(
        each for each in definitions[default_key].transitions if each.key == "sales_ready"
    )
    assert not sales_ready.enabled
