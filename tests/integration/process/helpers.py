"""Shared steps of the process and sales tests."""

from __future__ import annotations

from typing import Any

from leadflow.bootstrap import Container
from leadflow.leads.services import create_lead, update_lead
from leadflow.process import services as process
from leadflow.process.models import ProcessInstance


def new_lead(container: Container, **values: Any) -> int:
    with container.uow() as uow:
        lead = create_lead(
            {"last_name": "Lovelace", "company_name": "Analytical", **values}, uow=uow
        )
        uow.commit()
    container.relay.drain()
    return lead.id


def tick(container: Container, lead_id: int, **changes: Any) -> None:
    with container.uow() as uow:
        update_lead(lead_id, changes, uow=uow)
        uow.commit()
    container.relay.drain()


def stage_of(container: Container, lead_id: int) -> str | None:
    with container.read_session() as session:
        instance = process.current_instance(session, lead_id)
        return None if instance is None else instance.stage


def instance_of(container: Container, lead_id: int) -> ProcessInstance:
    with container.read_session() as session:
        instance = process.current_instance(session, lead_id)
        assert instance is not None
        session.expunge(instance)
        return instance
