"""Workflow actions of the hand-over: move_to_stage, create_task, assign, notify, call_webhook,
clear_marketing_only.

Each has the automation engine's action signature, `fn(ctx, params) -> outcome`:
`ctx.uow` is an open unit of work (the caller commits), `ctx.lead_id` the lead
of the triggering event. Until the engine lands on this branch they run from
bus handlers through `run_action`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from leadflow.bus import Event
from leadflow.db.uow import UnitOfWork
from leadflow.errors import ValidationFailed
from leadflow.lib.clock import utcnow
from leadflow.process import services as process
from leadflow.sales import services as sales
from leadflow.sales.events import WebhookRequested
from leadflow.sales.models import WebhookDelivery, WebhookSecret

SIGNATURE_HEADER = "X-Leadflow-Signature"
MAX_ATTEMPTS = 6
BACKOFF_SECONDS = 30.0


@dataclass
class ActionContext:
    """What an action gets: the same fields as the automation engine's context."""

    uow: UnitOfWork
    event: Event | None = None
    lead_id: int | None = None
    container: Any = None
    rule_key: str = "manual"
    facts: Mapping[str, Any] = field(default_factory=dict)


Action = Callable[[ActionContext, Mapping[str, Any]], str]
ACTIONS: dict[str, tuple[str, Action]] = {}


def action(key: str, *, label: str) -> Callable[[Action], Action]:
    def register(function: Action) -> Action:
        ACTIONS[key] = (label, function)
        return function

    return register


def run_action(key: str, ctx: ActionContext, params: Mapping[str, Any]) -> str:
    try:
        _, function = ACTIONS[key]
    except KeyError:
        raise ValidationFailed(f"No action '{key}'", field="type") from None
    return function(ctx, params)


def _lead(ctx: ActionContext) -> int:
    if ctx.lead_id is None:
        raise ValidationFailed("This action needs an event about a lead", field="lead_id")
    return ctx.lead_id


@action("move_to_stage", label="Move the lead to a stage")
def move_to_stage(ctx: ActionContext, params: Mapping[str, Any]) -> str:
    stage = str(params.get("stage") or "")
    decision = process.move_to_stage(_lead(ctx), stage, uow=ctx.uow, rule=ctx.rule_key)
    if decision is None or not decision.moved:
        return f"lead already in {stage} or closed"
    return f"moved to {stage}"


@action("create_task", label="Create a task")
def create_task(ctx: ActionContext, params: Mapping[str, Any]) -> str:
    owner = params.get("owner_id")
    hours = params.get("hours")
    task = sales.create_task(
        _lead(ctx),
        queue=params.get("queue") or None,
        owner_id=int(owner) if owner else None,
        title=params.get("title") or None,
        hours=float(hours) if hours else None,
        rule=ctx.rule_key,
        uow=ctx.uow,
    )
    return f"task {task.id}"


@action("assign", label="Assign the lead (a user, or round-robin)")
def assign(ctx: ActionContext, params: Mapping[str, Any]) -> str:
    user = params.get("user_id")
    if user:
        record = sales.assign_lead(
            _lead(ctx), int(user), uow=ctx.uow, method="rule", reason=f"rule {ctx.rule_key}"
        )
    else:
        record = sales.round_robin_assign(_lead(ctx), uow=ctx.uow)
    return f"assigned to user {record.user_id}"


@action("notify", label="Notify a user or a role")
def notify(ctx: ActionContext, params: Mapping[str, Any]) -> str:
    user = params.get("user_id")
    count = sales.notify(
        uow=ctx.uow,
        title=str(params.get("title") or "Lead needs attention"),
        body=str(params.get("body") or ""),
        user_id=int(user) if user else None,
        role=params.get("role") or None,
        lead_id=ctx.lead_id,
    )
    return f"notified {count}"


@action("clear_marketing_only", label="Clear the contact's marketing-only flag")
def clear_marketing_only(ctx: ActionContext, params: Mapping[str, Any]) -> str:
    contact_id = ctx.facts.get("contact_id")
    if contact_id is None and ctx.event is not None:
        contact_id = getattr(ctx.event, "contact_id", None)
    if contact_id is None:
        return "no contact"
    cleared = sales.clear_marketing_only(int(contact_id), uow=ctx.uow)
    return "cleared" if cleared else "already clear"


def webhook_secret(uow: UnitOfWork, rule_key: str) -> str:
    """The rule's signing key, made on first use."""
    row = uow.session.get(WebhookSecret, rule_key)
    if row is None:
        row = WebhookSecret(rule_key=rule_key, secret=secrets.token_hex(32), created_at=utcnow())
        uow.session.add(row)
        uow.session.flush()
    return row.secret


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


@action("call_webhook", label="Call a webhook (signed, retried)")
def call_webhook(ctx: ActionContext, params: Mapping[str, Any]) -> str:
    url = str(params.get("url") or "")
    if not url.startswith(("http://", "https://")):
        raise ValidationFailed("The webhook needs an http(s) URL", field="url")
    webhook_secret(ctx.uow, ctx.rule_key)
    body = {
        "rule": ctx.rule_key,
        "event": ctx.event.name if ctx.event is not None else None,
        "payload": ctx.event.to_payload() if ctx.event is not None else {},
        "lead_id": ctx.lead_id,
    }
    delivery = WebhookDelivery(
        rule_key=ctx.rule_key, url=url, body=body, status="pending", attempts=0, created_at=utcnow()
    )
    ctx.uow.session.add(delivery)
    ctx.uow.session.flush()
    # Sent after the commit by the queue, so a rolled-back run sends nothing.
    ctx.uow.publish(WebhookRequested(delivery_id=delivery.id, rule_key=ctx.rule_key))
    return f"webhook delivery {delivery.id} queued"


def deliver(delivery_id: int, *, container: Any, client: httpx.Client | None = None) -> str:
    """One attempt: POST the signed body; on failure schedule the next with exponential backoff."""
    with container.uow() as uow:
        delivery = uow.session.get(WebhookDelivery, delivery_id)
        if delivery is None or delivery.status == "delivered":
            return "nothing to do"
        body = json.dumps(delivery.body, separators=(",", ":"), sort_keys=True).encode()
        headers = {
            "content-type": "application/json",
            SIGNATURE_HEADER: sign(webhook_secret(uow, delivery.rule_key), body),
        }
        delivery.attempts += 1
        try:
            with client or httpx.Client(timeout=10) as http:
                response = http.post(delivery.url, content=body, headers=headers)
            delivery.response_status = response.status_code
            response.raise_for_status()
        except httpx.HTTPError as exc:
            delivery.last_error = str(exc)[:2000] or type(exc).__name__
            retry = delivery.attempts < MAX_ATTEMPTS
            delivery.status = "retrying" if retry else "failed"
            attempts = delivery.attempts
            uow.commit()
            if retry:
                delay = BACKOFF_SECONDS * 2 ** (attempts - 1)
                container.queue.schedule("sales.deliver_webhook", delivery_id, delay=delay)
                return f"attempt {attempts} failed; next in {delay:.0f} s"
            return f"attempt {attempts} failed; giving up"
        delivery.status = "delivered"
        delivery.delivered_at = utcnow()
        delivery.last_error = None
        uow.commit()
        return "delivered"
