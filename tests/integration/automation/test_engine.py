"""Rules react to events through the bus, are logged, switch off, and refuse bad shapes."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from leadflow.accounts.services import create_account
from leadflow.automation.models import RuleRun
from leadflow.automation.services import create_rule, delete_rule, update_rule
from leadflow.bootstrap import Container
from leadflow.contacts.services import create_contact
from leadflow.errors import Conflict, ValidationFailed
from leadflow.leads.models import Lead
from leadflow.leads.services import create_lead, get_lead

CONTACTED_WHEN_BUDGET = {
    "name": "Big budgets are contacted",
    "trigger": "lead.created",
    "conditions": [{"field": "lead.budget_amount", "op": "gte", "value": 10000}],
    "actions": [{"type": "set_field", "field": "status_reason", "value": "contacted"}],
}


def _new_lead(container: Container, **values: object) -> int:
    with container.uow() as uow:
        lead = create_lead({"last_name": "Lovelace", **values}, uow=uow)
        uow.commit()
    container.relay.drain()
    return lead.id


def _reason(container: Container, lead_id: int) -> str:
    with container.read_session() as session:
        return get_lead(session, lead_id).status_reason


def test_a_rule_fires_only_when_its_conditions_hold_and_logs_each_run(
    container: Container,
) -> None:
    with container.uow() as uow:
        rule = create_rule(CONTACTED_WHEN_BUDGET, uow=uow)
        uow.commit()
        rule_id = rule.id

    big = _new_lead(container, budget_amount=25000)
    small = _new_lead(container, budget_amount=500)

    assert _reason(container, big) == "contacted"
    assert _reason(container, small) == "new"
    with container.read_session() as session:
        runs = session.scalars(select(RuleRun).where(RuleRun.rule_id == rule_id)).all()
    assert [(run.subject, run.status) for run in runs] == [(f"lead:{big}", "done")]


def test_a_switched_off_rule_does_nothing(container: Container) -> None:
    with container.uow() as uow:
        rule = create_rule({**CONTACTED_WHEN_BUDGET, "enabled": False}, uow=uow)
        uow.commit()
    container.relay.drain()
    assert _reason(container, _new_lead(container, budget_amount=25000)) == "new"

    with container.uow() as uow:
        update_rule(rule.id, {"enabled": True}, uow=uow)
        uow.commit()
    container.relay.drain()
    assert _reason(container, _new_lead(container, budget_amount=25000)) == "contacted"


def test_a_failing_action_is_rolled_back_and_logged_as_failed(container: Container) -> None:
    with container.uow() as uow:
        rule = create_rule(
            {
                "name": "Impossible reason",
                "trigger": "lead.created",
                "actions": [
                    {"type": "set_field", "field": "description", "value": "touched"},
                    {"type": "set_field", "field": "status_reason", "value": "lost"},
                ],
            },
            uow=uow,
        )
        uow.commit()
    container.relay.drain()
    lead_id = _new_lead(container)

    with container.read_session() as session:
        lead = session.get(Lead, lead_id)
        assert lead is not None and lead.description is None
        [run] = session.scalars(select(RuleRun).where(RuleRun.rule_id == rule.id)).all()
    assert run.status == "failed"
    assert "does not fit" in run.message


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"trigger": "lead.teleported"}, "trigger"),
        ({"actions": [{"type": "launch_rocket"}]}, "actions[0].type"),
        ({"actions": [{"type": "set_field"}]}, "actions[0].field"),
        ({"actions": []}, "actions"),
        ({"conditions": [{"field": "lead.shoe_size", "op": "eq", "value": 1}]},
         "conditions[0].field"),
    ],
)  # fmt: skip
def test_bad_rules_are_refused_naming_the_path(
    container: Container, change: dict[str, object], field: str
) -> None:
    with container.uow() as uow, pytest.raises(ValidationFailed) as caught:
        create_rule({**CONTACTED_WHEN_BUDGET, **change}, uow=uow)
    assert caught.value.field == field


def test_own_rules_can_be_removed(container: Container) -> None:
    with container.uow() as uow:
        rule = create_rule(CONTACTED_WHEN_BUDGET, uow=uow)
        uow.commit()
    container.relay.drain()
    with container.uow() as uow:
        delete_rule(rule.id, uow=uow)
        uow.commit()
    container.relay.drain()
    assert _reason(container, _new_lead(container, budget_amount=25000)) == "new"


def test_shipped_rules_are_switched_off_not_removed(container: Container) -> None:
    from leadflow.automation.builtin import BUILTIN_RULES
    from leadflow.automation.services import get_rule_by_key

    if not BUILTIN_RULES:
        pytest.fail("no shipped rule is declared")
    key = sorted(BUILTIN_RULES)[0]
    with container.read_session() as session:
        rule_id = get_rule_by_key(session, key).id
    with container.uow() as uow, pytest.raises(Conflict):
        delete_rule(rule_id, uow=uow)


def _rule_on(container: Container, field: str, op: str, value: object) -> None:
    with container.uow() as uow:
        create_rule(
            {
                **CONTACTED_WHEN_BUDGET,
                "name": f"On {field}",
                "conditions": [{"field": field, "op": op, "value": value}],
            },
            uow=uow,
        )
        uow.commit()
    container.relay.drain()


def test_a_condition_on_the_leads_contact_reads_the_contacts_field(container: Container) -> None:
    _rule_on(container, "contact.city", "eq", "Lyon")
    with container.uow() as uow:
        lyon = create_contact({"last_name": "A", "city": "Lyon"}, uow=uow).id
        paris = create_contact({"last_name": "B", "city": "Paris"}, uow=uow).id
        uow.commit()

    assert _reason(container, _new_lead(container, parent_contact_id=lyon)) == "contacted"
    assert _reason(container, _new_lead(container, parent_contact_id=paris)) == "new"
    assert _reason(container, _new_lead(container)) == "new"


def test_a_condition_on_the_account_reads_the_leads_or_its_contacts_account(
    container: Container,
) -> None:
    _rule_on(container, "account.employee_count", "gte", 100)
    with container.uow() as uow:
        big = create_account({"name": "Big", "employee_count": 500}, uow=uow).id
        small = create_account({"name": "Small", "employee_count": 10}, uow=uow).id
        uow.session.flush()
        in_big = create_contact({"last_name": "C", "account_id": big}, uow=uow).id
        in_small = create_contact({"last_name": "D", "account_id": small}, uow=uow).id
        uow.commit()

    assert _reason(container, _new_lead(container, parent_account_id=big)) == "contacted"
    assert _reason(container, _new_lead(container, parent_contact_id=in_big)) == "contacted"
    assert _reason(container, _new_lead(container, parent_account_id=small)) == "new"
    assert _reason(container, _new_lead(container, parent_contact_id=in_small)) == "new"
