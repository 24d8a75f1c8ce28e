"""The process on a database: instances, automatic moves, manual moves, timeline, switching."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from leadflow.bootstrap import Container
from leadflow.errors import ValidationFailed
from leadflow.leads.events import LeadSalesReady
from leadflow.leads.services import mark_sales_ready
from leadflow.process import domain
from leadflow.process import services as process
from leadflow.process.models import ProcessInstance, StageTransition
from leadflow.scoring.events import LeadScored
from leadflow.switches.services import set_switch
from tests.integration.process.helpers import instance_of, new_lead, stage_of, tick


def publish(container: Container, *events: object) -> None:
    with container.uow() as uow:
        uow.publish(*events)  # type: ignore[arg-type]
        uow.commit()
    container.relay.drain()


def test_every_new_open_lead_gets_the_default_process_once(container: Container) -> None:
    lead_id = new_lead(container)
    assert stage_of(container, lead_id) == domain.INQUIRY
    with container.uow() as uow:
        assert process.start_instance(lead_id, uow=uow) is None
        uow.commit()
    container.relay.drain()
    with container.read_session() as session:
        count = session.scalar(
            select(func.count())
            .select_from(ProcessInstance)
            .where(ProcessInstance.lead_id == lead_id)
        )
    assert count == 1


def test_first_score_moves_to_marketing_qualification_when_the_switch_is_on(
    container: Container,
) -> None:
    lead_id = new_lead(container)
    publish(container, LeadScored(lead_id=lead_id, model_id=1, score=40))
    assert stage_of(container, lead_id) == domain.MARKETING_QUALIFICATION


def test_first_score_does_nothing_when_the_switch_is_off(container: Container) -> None:
    with container.uow() as uow:
        set_switch("scoring.auto_marketing_qualification", False, uow=uow)
        uow.commit()
    container.relay.drain()
    lead_id = new_lead(container)
    publish(container, LeadScored(lead_id=lead_id, model_id=1, score=40))
    assert stage_of(container, lead_id) == domain.INQUIRY


def test_sales_ready_by_score_skips_telemarketing(container: Container) -> None:
    lead_id = new_lead(container)
    publish(container, LeadScored(lead_id=lead_id, model_id=1, score=40))
    with container.uow() as uow:
        assert mark_sales_ready(lead_id, model_id=1, uow=uow)
        uow.commit()
    container.relay.drain()
    assert stage_of(container, lead_id) == domain.SALES_ACCEPTANCE
    with container.read_session() as session:
        moves = session.execute(
            select(StageTransition.from_stage, StageTransition.to_stage, StageTransition.rule)
            .where(StageTransition.lead_id == lead_id)
            .order_by(StageTransition.id)
        ).all()
    assert [tuple(m) for m in moves] == [
        (None, domain.INQUIRY, None),
        (domain.INQUIRY, domain.MARKETING_QUALIFICATION, "process.first_score"),
        (domain.MARKETING_QUALIFICATION, domain.SALES_ACCEPTANCE, "process.sales_ready"),
    ]


def test_sales_ready_by_hand_moves_to_sales_acceptance(container: Container) -> None:
    lead_id = new_lead(container)
    tick(container, lead_id, sales_ready=True)
    assert stage_of(container, lead_id) == domain.SALES_ACCEPTANCE


def test_the_telemarketing_path(container: Container) -> None:
    lead_id = new_lead(container)
    publish(container, LeadScored(lead_id=lead_id, model_id=1, score=10))
    tick(container, lead_id, telemarketing_ready=True)
    assert stage_of(container, lead_id) == domain.TELEMARKETING_ACCEPTANCE
    tick(container, lead_id, telemarketing_accepted=True)
    assert stage_of(container, lead_id) == domain.TELEMARKETING_QUALIFICATION
    tick(container, lead_id, sales_ready=True)
    assert stage_of(container, lead_id) == domain.SALES_ACCEPTANCE


def test_a_repeated_event_moves_once(container: Container) -> None:
    lead_id = new_lead(container)
    with container.uow() as uow:
        assert mark_sales_ready(lead_id, model_id=1, uow=uow)
        uow.commit()
    container.relay.drain()
    publish(container, LeadSalesReady(lead_id=lead_id, manual=False, model_id=1))
    with container.read_session() as session:
        moves = session.scalar(
            select(func.count())
            .select_from(StageTransition)
            .where(StageTransition.to_stage == domain.SALES_ACCEPTANCE)
        )
    assert moves == 1


def test_next_stage_refuses_an_empty_required_step_then_moves(container: Container) -> None:
    lead_id = new_lead(container)
    with container.uow() as uow:
        process.set_active_stage(lead_id, domain.TELEMARKETING_QUALIFICATION, uow=uow)
        uow.commit()
    container.relay.drain()
    with container.uow() as uow, pytest.raises(ValidationFailed) as caught:
        process.next_stage(lead_id, uow=uow)
    assert caught.value.field == "need"
    tick(container, lead_id, need="must_have", purchase_timeframe="this_quarter")
    with container.uow() as uow:
        process.next_stage(lead_id, uow=uow)
        uow.commit()
    container.relay.drain()
    assert stage_of(container, lead_id) == domain.SALES_ACCEPTANCE


def test_manual_move_backwards_is_kept_in_the_timeline_with_time_in_stage(
    container: Container,
) -> None:
    lead_id = new_lead(container)
    tick(container, lead_id, sales_ready=True)
    _, user_id = _user(container)
    with container.uow() as uow:
        process.set_active_stage(lead_id, domain.INQUIRY, uow=uow, actor_user_id=user_id)
        uow.commit()
    container.relay.drain()
    assert stage_of(container, lead_id) == domain.INQUIRY
    with container.read_session() as session:
        entries = process.timeline(session, lead_id)
    latest = entries[0]
    assert (latest.from_name, latest.to_name) == ("Sales acceptance", "Inquiry")
    assert latest.actor_user_id == user_id
    assert latest.reason == "set active by hand"
    assert latest.seconds_in_from is not None and latest.seconds_in_from >= 0


def _user(container: Container) -> tuple[str, int]:
    from tests.support.factories import user_with_token

    user_id, email, _ = user_with_token(container, "sales_manager")
    return email, user_id


def test_switching_process_keeps_the_other_instance_state(container: Container) -> None:
    short = {
        "key": "short",
        "name": "Short process",
        "stages": [{"key": "one", "name": "One"}, {"key": "two", "name": "Two"}],
    }
    with container.uow() as uow:
        process.save_definition(short, uow=uow)
        uow.commit()
    container.relay.drain()
    lead_id = new_lead(container)
    tick(container, lead_id, sales_ready=True)
    with container.uow() as uow:
        process.switch_process(lead_id, "short", uow=uow)
        process.next_stage(lead_id, uow=uow)
        uow.commit()
    container.relay.drain()
    assert instance_of(container, lead_id).process_key == "short"
    assert stage_of(container, lead_id) == "two"
    with container.uow() as uow:
        process.switch_process(lead_id, domain.DEFAULT_PROCESS_KEY, uow=uow)
        uow.commit()
    container.relay.drain()
    assert stage_of(container, lead_id) == domain.SALES_ACCEPTANCE
    with container.uow() as uow:
        process.switch_process(lead_id, "short", uow=uow)
        uow.commit()
    container.relay.drain()
    assert stage_of(container, lead_id) == "two"


def test_definitions_are_versioned_and_exported(container: Container) -> None:
    with container.uow() as uow:
        data = process.export_definition(uow.session, domain.DEFAULT_PROCESS_KEY)
        data["stages"][4]["deadline_hours"] = 4
        row = process.save_definition(data, uow=uow)
        uow.commit()
    container.relay.drain()
    assert row.version == 2
    with container.read_session() as session:
        exported = process.export_definition(session, domain.DEFAULT_PROCESS_KEY)
        assert exported["version"] == 2
        assert exported["stages"][4]["deadline_hours"] == 4
        assert process.default_process_key(session) == domain.DEFAULT_PROCESS_KEY


def test_import_refuses_unknown_fields_naming_the_path(container: Container) -> None:
    bad = {
        "key": "x",
        "name": "X",
        "stages": [{"key": "a", "name": "A", "steps": [{"field": "nope"}]}],
    }
    with container.uow() as uow, pytest.raises(ValidationFailed) as caught:
        process.save_definition(bad, uow=uow)
    assert caught.value.field == "stages[0].steps[0].field"
