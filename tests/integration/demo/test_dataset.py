"""The demo data set: loaded through the services, with the counts and links it promises."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from leadflow.accounts.models import Account
from leadflow.bootstrap import Container
from leadflow.contacts.models import Contact
from leadflow.demo.dataset import DEMO_LOGINS, database_is_empty, plan_demo
from leadflow.interactions.domain import InteractionKind
from leadflow.interactions.models import Interaction
from leadflow.leads.domain import LeadSource
from leadflow.leads.models import Lead
from leadflow.opportunities.models import Opportunity
from leadflow.outbox import OutboxMessage
from leadflow.users.models import User
from leadflow.users.services import authenticate
from tests.support.demo_fixtures import LoadedDemo

# The tests read one demo loaded per database (tests/support/demo_fixtures.py), on one worker.
pytestmark = [pytest.mark.xdist_group("demo"), pytest.mark.slow]

NOW = datetime(2026, 5, 4, 9, 30, tzinfo=UTC)
CORE_EVENTS = (
    "user.created",
    "account.created",
    "contact.created",
    "lead.created",
    "opportunity.created",
    "interaction.recorded",
)

MODELS = {
    "users": User,
    "accounts": Account,
    "contacts": Contact,
    "leads": Lead,
    "opportunities": Opportunity,
    "interactions": Interaction,
}


def _reported(lines: list[str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for line in lines:
        match = re.fullmatch(r"(\w+): (\d+)", line)
        if match:
            counts[match.group(1)] = int(match.group(2))
    return counts


def test_an_empty_database_is_empty_until_the_demo_loads(
    container: Container, demo: LoadedDemo
) -> None:
    assert database_is_empty(container)
    assert not database_is_empty(demo.container)


def test_the_demo_holds_what_its_summary_says(demo: LoadedDemo) -> None:
    progress = demo.progress
    reported = _reported(demo.lines)
    with demo.container.read_session() as session:
        stored = {
            name: session.scalar(select(func.count()).select_from(model))
            for name, model in MODELS.items()
        }
    assert stored == reported
    assert (reported["accounts"], reported["contacts"]) == (25, 200)
    assert 240 <= reported["leads"] <= 260
    assert 2_700 <= reported["interactions"] <= 3_300
    assert progress[-1] == (sum(reported.values()), sum(reported.values()))


def test_each_record_published_one_event_and_each_was_handled(demo: LoadedDemo) -> None:
    reported = _reported(demo.lines)
    with demo.container.read_session() as session:
        # The capabilities' demos and handlers add their own events (stage moves, tasks);
        # each core record published exactly one.
        core = OutboxMessage.event_type.in_(CORE_EVENTS)
        events = session.scalar(select(func.count()).select_from(OutboxMessage).where(core))
        pending = session.scalar(select(func.count()).where(OutboxMessage.dispatched_at.is_(None)))
    assert (events, pending) == (sum(reported.values()), 0)


def test_the_documented_logins_work_with_their_roles(demo: LoadedDemo) -> None:
    with demo.container.read_session() as session:
        roles = {
            login.email: authenticate(session, login.email, login.password).role
            for login in DEMO_LOGINS
        }
    assert roles == {login.email: login.role for login in DEMO_LOGINS}
    assert {login.email.split("@")[0] for login in DEMO_LOGINS} == {
        "admin",
        "marketer",
        "telemarketer",
        "salesperson",
        "manager",
    }


def test_leads_come_from_the_campaigns_and_link_as_described(demo: LoadedDemo) -> None:
    with demo.container.read_session() as session:
        leads = session.execute(
            select(Lead.topic, Lead.source, Lead.parent_contact_id, Lead.parent_account_id)
        ).all()
        contact_accounts = dict(session.execute(select(Contact.id, Contact.account_id)).all())
        marketing_only = session.scalar(
            select(func.count()).where(Contact.marketing_only.is_(True))
        )
    conference = [lead for lead in leads if lead.topic == "Contoso Ltd Conference"]
    assert len(conference) == 70
    assert {lead.source for lead in conference} == {LeadSource.EVENT}
    assert {lead.source for lead in leads} >= {"event", "landing_page", "import", "linkedin"}
    to_contacts = [lead for lead in leads if lead.parent_contact_id is not None]
    account_only = [
        lead for lead in leads if lead.parent_contact_id is None and lead.parent_account_id
    ]
    orphans = [
        lead for lead in leads if lead.parent_contact_id is None and not lead.parent_account_id
    ]
    assert (len(to_contacts) > 200, len(account_only), len(orphans)) == (True, 14, 10)
    # A lead linked to a contact names the contact's account as its parent account.
    assert all(
        lead.parent_account_id == contact_accounts[lead.parent_contact_id] for lead in to_contacts
    )
    assert marketing_only == 20


def test_interactions_follow_the_email_funnel_over_the_last_90_days(demo: LoadedDemo) -> None:
    with demo.container.read_session() as session:
        kinds = dict(
            session.execute(select(Interaction.kind, func.count()).group_by(Interaction.kind)).all()
        )
        first, last = session.execute(
            select(func.min(Interaction.occurred_at), func.max(Interaction.occurred_at))
        ).one()
        before_contact = session.scalar(
            select(func.count())
            .select_from(Interaction)
            .join(Contact, Contact.id == Interaction.contact_id)
            .where(Interaction.occurred_at < Contact.created_at)
        )
    k = InteractionKind
    # Every kind but the calls people log by hand (activities).
    assert set(kinds) == set(k) - {k.CALL_LOGGED}
    assert kinds[k.EMAIL_SENT] > kinds[k.EMAIL_DELIVERED] > kinds[k.EMAIL_OPENED]
    assert kinds[k.EMAIL_OPENED] > kinds[k.EMAIL_CLICKED]
    assert kinds[k.EVENT_REGISTERED] > kinds[k.EVENT_ATTENDED]
    assert demo.now - timedelta(days=90) <= first < last <= demo.now
    assert before_contact == 0


def test_the_plan_is_the_same_for_the_same_moment() -> None:
    assert plan_demo(NOW) == plan_demo(NOW)
    assert plan_demo(NOW) != plan_demo(NOW + timedelta(days=1))


def test_the_demo_history_spreads_moves_over_the_past_months(demo: LoadedDemo) -> None:
    from leadflow.dashboard.services import funnel
    from leadflow.lib.clock import utcnow
    from leadflow.process.models import StageTransition

    with demo.container.read_session() as session:
        times = list(session.scalars(select(StageTransition.occurred_at)))
        stages = {stage.key: stage for stage in funnel(session)}
    now = utcnow()
    assert min(times) < now - timedelta(days=30)
    assert max(times) <= now
    qualification = stages["automated_marketing_qualification"].median_seconds
    assert qualification is not None and qualification > 3 * 3600
    assert stages["qualified"].entered >= 1
