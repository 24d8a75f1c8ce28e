"""`leadflow automation`: list rules, switch one, backfill orphan leads."""

from __future__ import annotations

from sqlalchemy import select

from leadflow.automation.orphans import ORPHAN_RULE_KEY
from leadflow.automation.services import get_rule_by_key
from leadflow.bootstrap import Container
from leadflow.leads.models import Lead
from leadflow.leads.services import create_lead
from tests.support.cli_fixtures import RunCli


def test_rules_switch_and_backfill(container: Container, run_cli: RunCli) -> None:
    with container.uow() as uow:
        for n in range(3):
            create_lead({"email": f"o{n}@example.com", "last_name": f"O{n}"}, uow=uow)
        uow.commit()
    container.relay.drain()

    listed = run_cli("automation", "rules")
    assert listed.returncode == 0, listed.stderr
    assert f"{ORPHAN_RULE_KEY}\toff\tlead.created" in listed.stdout

    switched = run_cli("automation", "switch", ORPHAN_RULE_KEY, "on")
    assert switched.returncode == 0, switched.stderr
    with container.read_session() as session:
        assert get_rule_by_key(session, ORPHAN_RULE_KEY).enabled is True

    refused = run_cli("automation", "switch", ORPHAN_RULE_KEY, "maybe")
    assert refused.returncode == 2
    assert "field state" in refused.stderr

    backfilled = run_cli("automation", "backfill-orphans")
    assert backfilled.returncode == 0, backfilled.stderr
    assert "3 linked, 0 skipped of 3" in backfilled.stderr
    with container.read_session() as session:
        parents = session.scalars(select(Lead.parent_contact_id)).all()
    assert len(parents) == 3 and all(parents)
