"""Qualify, disqualify, reactivate and recycle on both databases."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from leadflow.bootstrap import Container
from leadflow.contacts.models import Contact
from leadflow.contacts.services import create_contact
from leadflow.errors import Conflict, ValidationFailed
from leadflow.leads.models import Lead
from leadflow.opportunities.models import Opportunity
from leadflow.process import domain
from leadflow.process import services as process
from leadflow.sales import services as sales
from leadflow.sales.models import Task
from tests.integration.process.helpers import instance_of, new_lead, stage_of, tick


def test_qualify_creates_opportunity_contact_account_and_finishes(container: Container) -> None:
    lead_id = new_lead(container, topic="50 licences", email="ada@example.test", budget_amount=900)
    tick(container, lead_id, sales_ready=True)
    with container.uow() as uow:
        result = sales.qualify_lead(lead_id, uow=uow)
        uow.commit()
    container.relay.drain()
    with container.read_session() as session:
        lead = session.get(Lead, lead_id)
        opportunity = session.get(Opportunity, result.opportunity_id)
        contact = session.get(Contact, result.contact_id)
        assert lead is not None and opportunity is not None and contact is not None
        assert (lead.status, lead.status_reason) == ("qualified", "qualified")
        assert lead.parent_contact_id == contact.id and lead.parent_account_id == result.account_id
        assert opportunity.name == "50 licences"
        assert opportunity.originating_lead_id == lead_id
        assert (opportunity.contact_id, opportunity.account_id) == (contact.id, result.account_id)
        assert contact.account_id == result.account_id and contact.email == "ada@example.test"
        open_tasks = session.scalars(
            select(Task).where(Task.lead_id == lead_id, Task.status == "open")
        ).all()
        assert open_tasks == []
    assert instance_of(container, lead_id).status == "finished"


def test_qualify_clears_marketing_only_on_the_existing_contact(container: Container) -> None:
    with container.uow() as uow:
        contact_id = create_contact({"last_name": "Hopper", "marketing_only": True}, uow=uow).id
        uow.commit()
    container.relay.drain()
    lead_id = new_lead(container, parent_contact_id=contact_id)
    with container.uow() as uow:
        result = sales.qualify_lead(lead_id, uow=uow)
        uow.commit()
    container.relay.drain()
    assert result.contact_id == contact_id
    with container.read_session() as session:
        contact = session.get(Contact, contact_id)
        assert contact is not None and contact.marketing_only is False


def test_qualify_options_can_leave_out_the_opportunity_and_account(container: Container) -> None:
    lead_id = new_lead(container)
    options = sales.QualifyOptions(create_opportunity=False, use_or_create_account=False)
    with container.uow() as uow:
        result = sales.qualify_lead(lead_id, uow=uow, options=options)
        uow.commit()
    container.relay.drain()
    assert result.opportunity_id is None and result.account_id is None
    assert result.contact_id is not None


def test_a_qualified_lead_is_read_only(container: Container) -> None:
    lead_id = new_lead(container)
    with container.uow() as uow:
        sales.qualify_lead(lead_id, uow=uow)
        uow.commit()
    container.relay.drain()
    with pytest.raises(Conflict) as caught:
        tick(container, lead_id, topic="changed")
    assert caught.value.field == "status"


def test_disqualify_needs_a_disqualifying_reason(container: Container) -> None:
    lead_id = new_lead(container)
    with container.uow() as uow, pytest.raises(ValidationFailed) as caught:
        sales.disqualify_lead(lead_id, "contacted", uow=uow)
    assert caught.value.field == "status_reason"


def test_disqualify_then_reactivate_resumes_the_stage(container: Container) -> None:
    lead_id = new_lead(container)
    tick(container, lead_id, telemarketing_ready=True)
    with container.uow() as uow:
        sales.disqualify_lead(lead_id, "cannot_contact", uow=uow)
        uow.commit()
    container.relay.drain()
    assert instance_of(container, lead_id).status == "abandoned"
    with container.read_session() as session:
        lead = session.get(Lead, lead_id)
        assert lead is not None and lead.status_reason == "cannot_contact"
        assert sales.open_tasks(session, lead_id) == []
    with container.uow() as uow:
        sales.reactivate_lead(lead_id, uow=uow)
        uow.commit()
    container.relay.drain()
    instance = instance_of(container, lead_id)
    assert (instance.status, instance.stage) == ("active", domain.TELEMARKETING_ACCEPTANCE)
    with container.read_session() as session:
        assert [t.queue for t in sales.open_tasks(session, lead_id)] == ["telemarketing"]


def test_disqualify_is_refused_once_an_opportunity_exists(container: Container) -> None:
    from leadflow.opportunities.services import create_opportunity

    lead_id = new_lead(container)
    with container.uow() as uow:
        create_opportunity({"name": "Deal", "originating_lead_id": lead_id}, uow=uow)
        uow.commit()
    container.relay.drain()
    with container.uow() as uow, pytest.raises(Conflict):
        sales.disqualify_lead(lead_id, "lost", uow=uow)


def test_recycle_goes_back_to_marketing_qualification_and_is_counted(container: Container) -> None:
    lead_id = new_lead(container)
    tick(container, lead_id, sales_ready=True)
    assert stage_of(container, lead_id) == domain.SALES_ACCEPTANCE
    with container.uow() as uow, pytest.raises(ValidationFailed):
        sales.recycle_lead(lead_id, "  ", uow=uow)
    with container.uow() as uow:
        sales.recycle_lead(lead_id, "No budget this year", uow=uow)
        uow.commit()
    container.relay.drain()
    assert stage_of(container, lead_id) == domain.MARKETING_QUALIFICATION
    with container.read_session() as session:
        values = process.lead_values(session, lead_id)
        assert values["sales_ready"] is False
        assert sales.recycle_count(session, lead_id) == 1
        assert sales.open_tasks(session, lead_id) == []
    # Ready again later: the lead goes back to sales.
    tick(container, lead_id, sales_ready=True)
    assert stage_of(container, lead_id) == domain.SALES_ACCEPTANCE
