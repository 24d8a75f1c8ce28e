"""Workflow actions of the hand-over: move_to_stage, create_task, assign, notify, call_webhook,
clear_marketing_only.

Registered in the automation engine's catalogue: `ctx.uow` is the rule run's
open unit of work (the engine commits), `ctx.lead_id` the lead of the
triggering event. The C8 workflows ship as builtin rules that use them
(sales/rules.py). The shipped stage moves are transitions of the process
definition, not rules; `move_to_stage` is here for users' own rules.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from collections.abc import Callable, Mapping
from typing import Any

import httpx

from leadflow.automation.actions import ActionContext, action
from leadflow.db.uow import UnitOfWork
from leadflow.errors import ErrorCode, ValidationFailed
from leadflow.lib.clock import utcnow
from leadflow.process import services as process
from leadflow.queue import TaskQueue
from leadflow.sales import services as sales
from leadflow.sales.events import WebhookRequested
from leadflow.sales.models import WebhookDelivery, WebhookSecret

SIGNATURE_HEADER = "X-Leadflow-Signature"
MAX_ATTEMPTS = 6
BACKOFF_SECONDS = 30.0


def _lead(ctx: ActionContext) -> int:
    if ctx.lead_id is None:
        raise ValidationFailed(
            "This action needs an event about a lead",
            field="lead_id",
            code=ErrorCode.RULE_ACTION_INVALID,
        )
    return ctx.lead_id


@action(
    "move_to_stage",
    label="Move the lead to a stage",
    params={
        "stage": "Stage key",
        "only_from": "Stage keys the lead must stand in (comma-separated; empty: any)",
    },
    required=("stage",),
)
def move_to_stage(ctx: ActionContext, params: Mapping[str, Any]) -> str:
    """Move the event's lead to a stage of its current process (a rule's move, logged)."""
    stage = str(params.get("stage") or "")
    lead_id = _lead(ctx)
    allowed = params.get("only_from") or []
    if isinstance(allowed, str):
        allowed = [item.strip() for item in allowed.split(",") if item.strip()]
    if allowed:
        instance = process.current_instance(ctx.uow.session, lead_id)
        if instance is None or instance.status != "active" or instance.stage not in allowed:
            return f"skipped: the lead is not in {', '.join(allowed)}"
    decision = process.move_to_stage(lead_id, stage, uow=ctx.uow, rule=ctx.rule_key)
    if decision is None or not decision.moved:
        return f"skipped: the lead is already in {stage} or closed"
    return f"moved to {stage}"


@action(
    "create_task",
    label="Create a task",
    params={"queue": "Queue key", "owner_id": "User id", "title": "Title", "hours": "Due in hours"},
)
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


@action(
    "assign",
    label="Assign the lead (a user, or round-robin)",
    params={"user_id": "User id (empty: round-robin among salespeople)"},
)
def assign(ctx: ActionContext, params: Mapping[str, Any]) -> str:
    user = params.get("user_id")
    if user:
        record = sales.assign_lead(
            _lead(ctx), int(user), uow=ctx.uow, method="rule", reason=f"rule {ctx.rule_key}"
        )
    else:
        record = sales.round_robin_assign(_lead(ctx), uow=ctx.uow)
    return f"assigned to user {record.user_id}"


@action(
    "notify",
    label="Notify a user or a role",
    params={"user_id": "User id", "role": "Role", "title": "Title", "body": "Text"},
)
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
    """The contact has business with sales now: clear its marketing-only flag."""
    contact_id = ctx.contact_id
    if contact_id is None:
        return "skipped: no contact"
    cleared = sales.clear_marketing_only(contact_id, uow=ctx.uow)
    return "cleared" if cleared else "skipped: already clear"


def webhook_secret(uow: UnitOfWork, rule_key: str) -> str:
    """The rule's signing key, made on first use."""
    row = uow.session.get(WebhookSecret, rule_key)
    if row is None:
        row = WebhookSecret(rule_key=rule_key, secret=secrets.token_hex(32), created_at=utcnow())
        uow.session.add(row)
        uow.session.flush()
    return row.secret


def _store_secret(uow: UnitOfWork, rule_key: str, secret: str) -> None:
    row = uow.session.get(WebhookSecret, rule_key)
    if row is None:
        uow.session.add(WebhookSecret(rule_key=rule_key, secret=secret, created_at=utcnow()))
    elif row.secret != secret:
        row.secret = secret
    uow.session.flush()


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


@action(
    "call_webhook",
    label="Call a webhook (signed, retried)",
    params={"url": "http(s) URL to POST the event to"},
    required=("url",),
)
def call_webhook(ctx: ActionContext, params: Mapping[str, Any]) -> str:
    url = str(params.get("url") or "")
    if not url.startswith(("http://", "https://")):
        raise ValidationFailed(
            "The webhook needs an http(s) URL", field="url", code=ErrorCode.URL_INVALID
        )
    # The engine's per-rule secret signs; a rule without one gets its own here.
    secret = ctx.rule_secret or webhook_secret(ctx.uow, ctx.rule_key)
    _store_secret(ctx.uow, ctx.rule_key, secret)
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


def deliver(
    delivery_id: int,
    *,
    uow: Callable[[], UnitOfWork],
    queue: TaskQueue,
    client: httpx.Client | None = None,
) -> str:
    """One attempt: POST the signed body; on failure schedule the next with exponential backoff."""
    with uow() as unit:
        delivery = unit.session.get(WebhookDelivery, delivery_id)
        if delivery is None or delivery.status == "delivered":
            return "nothing to do"
        body = json.dumps(delivery.body, separators=(",", ":"), sort_keys=True).encode()
        headers = {
            "content-type": "application/json",
            SIGNATURE_HEADER: sign(webhook_secret(unit, delivery.rule_key), body),
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
            unit.commit()
            if retry:
                delay = BACKOFF_SECONDS * 2 ** (attempts - 1)
                queue.schedule("sales.deliver_webhook", delivery_id, delay=delay)
                return f"attempt {attempts} failed; next in {delay:.0f} s"
            return f"attempt {attempts} failed; giving up"
        delivery.status = "delivered"
        delivery.delivered_at = utcnow()
        delivery.last_error = None
        unit.commit()
        return "delivered"
