"""The hand-over's workflow actions, run with an action context as the engine runs them."""

from __future__ import annotations

import hashlib
import hmac
import json

import httpx
from sqlalchemy import select

from leadflow.automation.actions import ACTIONS, ActionContext
from leadflow.bootstrap import Container
from leadflow.bus import Event
from leadflow.contacts.models import Contact
from leadflow.contacts.services import create_contact
from leadflow.leads.events import LeadUpdated
from leadflow.process import domain
from leadflow.sales import actions
from leadflow.sales import services as sales
from leadflow.sales.events import LeadQualified
from leadflow.sales.models import Task, WebhookDelivery, WebhookSecret
from tests.integration.process.helpers import new_lead, stage_of
from tests.support.factories import user_with_token


def run(
    container: Container,
    key: str,
    lead_id: int | None,
    params: dict[str, object],
    event: Event | None = None,
) -> str:
    with container.uow() as uow:
        ctx = ActionContext(
            uow=uow,
            event=event or LeadUpdated(lead_id or 0, ()),
            rule_key="test.rule",
            facts={},
        )
        outcome = ACTIONS[key].run(ctx, params)
        uow.commit()
    container.relay.drain()
    return outcome


def test_move_create_task_assign_notify(container: Container) -> None:
    seller, _, _ = user_with_token(container, "salesperson")
    manager, _, _ = user_with_token(container, "sales_manager")
    lead_id = new_lead(container)
    assert run(container, "move_to_stage", lead_id, {"stage": domain.SALES_ACCEPTANCE}) == (
        "moved to sales_acceptance"
    )
    assert stage_of(container, lead_id) == domain.SALES_ACCEPTANCE
    assert "already" in run(container, "move_to_stage", lead_id, {"stage": domain.SALES_ACCEPTANCE})
    skipped = run(
        container, "move_to_stage", lead_id, {"stage": domain.INQUIRY, "only_from": "inquiry"}
    )
    assert skipped.startswith("skipped")
    run(container, "create_task", lead_id, {"owner_id": seller, "title": "Call back", "hours": 2})
    assert run(container, "assign", lead_id, {}) == f"assigned to user {seller}"
    assert (
        run(container, "notify", lead_id, {"role": "sales_manager", "title": "Hot"}) == "notified 1"
    )
    with container.read_session() as session:
        titles = sorted(session.scalars(select(Task.title).where(Task.lead_id == lead_id)))
        assert "Call back" in titles
        assert sales.unread_count(session, manager) == 1


def test_clear_marketing_only_on_lead_qualified(container: Container) -> None:
    with container.uow() as uow:
        contact_id = create_contact({"last_name": "Hopper", "marketing_only": True}, uow=uow).id
        uow.commit()
    container.relay.drain()
    event = LeadQualified(lead_id=1, opportunity_id=None, contact_id=contact_id, account_id=None)
    assert run(container, "clear_marketing_only", None, {}, event) == "cleared"
    with container.read_session() as session:
        contact = session.get(Contact, contact_id)
        assert contact is not None and contact.marketing_only is False


def test_webhooks_are_signed_and_retried_with_backoff(container: Container) -> None:
    lead_id = new_lead(container)
    # Nothing listens on port 9: the first attempt (sent by the queue after commit) fails.
    run(container, "call_webhook", lead_id, {"url": "http://127.0.0.1:9/hook"})
    with container.read_session() as session:
        delivery = session.scalars(select(WebhookDelivery)).one()
        secret = session.get(WebhookSecret, "test.rule")
        assert secret is not None
    assert (delivery.status, delivery.attempts) == ("retrying", 1)
    received: list[httpx.Request] = []

    def failing(request: httpx.Request) -> httpx.Response:
        received.append(request)
        return httpx.Response(503)

    outcome = actions.deliver(
        delivery.id,
        uow=container.uow,
        queue=container.queue,
        client=httpx.Client(transport=httpx.MockTransport(failing)),
    )
    assert outcome == "attempt 2 failed; next in 60 s"

    def accepting(request: httpx.Request) -> httpx.Response:
        received.append(request)
        return httpx.Response(204)

    outcome = actions.deliver(
        delivery.id,
        uow=container.uow,
        queue=container.queue,
        client=httpx.Client(transport=httpx.MockTransport(accepting)),
    )
    assert outcome == "delivered"
    body = received[-1].content
    expected = "sha256=" + hmac.new(secret.secret.encode(), body, hashlib.sha256).hexdigest()
    assert received[-1].headers[actions.SIGNATURE_HEADER] == expected
    assert json.loads(body)["lead_id"] == lead_id
    with container.read_session() as session:
        delivered = session.get(WebhookDelivery, delivery.id)
        assert delivered is not None and (delivered.status, delivered.attempts) == ("delivered", 3)


def test_a_webhook_needs_an_http_url(container: Container) -> None:
    import pytest

    from leadflow.errors import ValidationFailed

    with pytest.raises(ValidationFailed) as caught:
        run(container, "call_webhook", None, {"url": "ftp://x"})
    assert caught.value.field == "url"


def test_a_user_rule_runs_the_hand_over_actions_through_the_engine(container: Container) -> None:
    from leadflow.automation.services import create_rule
    from leadflow.sales.models import Notification

    user_with_token(container, "telemarketer")
    with container.uow() as uow:
        rule = create_rule(
            {
                "name": "Telemarketing leads ping the team and a webhook",
                "trigger": "lead.entered_queue",
                "conditions": [{"field": "event.queue", "op": "eq", "value": "telemarketing"}],
                "actions": [
                    {"type": "notify", "role": "telemarketer", "title": "New lead in the queue"},
                    {"type": "call_webhook", "url": "http://127.0.0.1:9/hook"},
                ],
            },
            uow=uow,
        )
        rule_key, rule_secret = rule.key, rule.secret
        uow.commit()
    container.relay.drain()
    lead_id = new_lead(container)
    from tests.integration.process.helpers import tick

    tick(container, lead_id, telemarketing_ready=True)
    with container.read_session() as session:
        notified = session.scalars(
            select(Notification.title).where(Notification.lead_id == lead_id)
        ).all()
        delivery = session.scalars(select(WebhookDelivery)).one()
        stored = session.get(WebhookSecret, rule_key)
    assert notified == ["New lead in the queue"]
    assert (delivery.rule_key, delivery.status) == (rule_key, "retrying")
    assert delivery.body["event"] == "lead.entered_queue"
    # The engine's per-rule secret is the one that signs.
    assert stored is not None and stored.secret == rule_secret
