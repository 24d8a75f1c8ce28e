"""The process every new org starts with: its stages, queues and transitions."""

from __future__ import annotations

from typing import Any

from leadflow.process.domain._model import DEFAULT_PROCESS_KEY, LeadEvent
from leadflow.switches.domain import AUTO_MARKETING_QUALIFICATION

INQUIRY = "inquiry"
MARKETING_QUALIFICATION = "automated_marketing_qualification"
TELEMARKETING_ACCEPTANCE = "telemarketing_acceptance"
TELEMARKETING_QUALIFICATION = "telemarketing_qualification"
SALES_ACCEPTANCE = "sales_acceptance"

TELEMARKETING_QUEUE = "telemarketing"
SALES_ACCEPTANCE_QUEUE = "sales_acceptance"

DEFAULT_PROCESS: dict[str, Any] = {
    "key": DEFAULT_PROCESS_KEY,
    "name": "Lead to opportunity marketing sales process",
    "entity": "lead",
    "version": 1,
    "stages": [
        {
            "key": INQUIRY,
            "name": "Inquiry",
            "steps": [{"field": "parent_contact_id"}, {"field": "parent_account_id"}],
        },
        {
            "key": MARKETING_QUALIFICATION,
            "name": "Automated marketing qualification",
            "steps": [{"field": "sales_ready"}, {"field": "telemarketing_ready"}],
            "branches": [
                {
                    "to": SALES_ACCEPTANCE,
                    "conditions": [{"field": "sales_ready", "op": "eq", "value": True}],
                },
                {
                    "to": TELEMARKETING_ACCEPTANCE,
                    "conditions": [{"field": "telemarketing_ready", "op": "eq", "value": True}],
                },
            ],
        },
        {
            "key": TELEMARKETING_ACCEPTANCE,
            "name": "Telemarketing acceptance",
            "steps": [{"field": "telemarketing_accepted", "required": True}],
            "queue": TELEMARKETING_QUEUE,
            "deadline_hours": 48,
        },
        {
            "key": TELEMARKETING_QUALIFICATION,
            "name": "Telemarketing qualification",
            "steps": [
                {"field": "need", "required": True},
                {"field": "purchase_timeframe", "required": True},
                {"field": "purchase_process"},
                {"field": "budget_amount"},
                {"field": "description"},
                {"field": "sales_ready"},
            ],
        },
        {
            "key": SALES_ACCEPTANCE,
            "name": "Sales acceptance",
            "steps": [
                {"field": "owner_id", "required": True},
                {"field": "sales_accepted", "required": True},
            ],
            "queue": SALES_ACCEPTANCE_QUEUE,
            "deadline_hours": 24,
        },
    ],
    # In this order: a lead created sales-ready goes straight to Sales acceptance, from
    # where the telemarketing transitions do not pull it back.
    "transitions": [
        {
            "key": "first_score",
            "on": [LeadEvent.FIRST_SCORED.value],
            "from": [INQUIRY],
            "to": MARKETING_QUALIFICATION,
            "switch": AUTO_MARKETING_QUALIFICATION.key,
        },
        {
            "key": "sales_ready",
            "on": [LeadEvent.CREATED.value, LeadEvent.UPDATED.value, LeadEvent.SALES_READY.value],
            "when": [{"field": "sales_ready", "op": "eq", "value": True}],
            "from": [
                INQUIRY,
                MARKETING_QUALIFICATION,
                TELEMARKETING_ACCEPTANCE,
                TELEMARKETING_QUALIFICATION,
            ],
            "to": SALES_ACCEPTANCE,
        },
        {
            "key": "telemarketing_ready",
            "on": [LeadEvent.CREATED.value, LeadEvent.UPDATED.value],
            "when": [{"field": "telemarketing_ready", "op": "eq", "value": True}],
            "from": [INQUIRY, MARKETING_QUALIFICATION],
            "to": TELEMARKETING_ACCEPTANCE,
        },
        {
            "key": "telemarketing_accepted",
            "on": [LeadEvent.CREATED.value, LeadEvent.UPDATED.value],
            "when": [{"field": "telemarketing_accepted", "op": "eq", "value": True}],
            "from": [INQUIRY, MARKETING_QUALIFICATION, TELEMARKETING_ACCEPTANCE],
            "to": TELEMARKETING_QUALIFICATION,
        },
    ],
}
