"""C8: orphan leads get a contact, matched by the contact strategy or created marketing-only."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import func, select

from leadflow.automation.orphans import ORPHAN_RULE_KEY, start_orphan_backfill
from leadflow.automation.services import get_rule_by_key, set_rule_enabled
from leadflow.bootstrap import Container
from leadflow.contacts.models import Contact
from leadflow.contacts.services import create_contact
from leadflow.jobs.models import Job
from leadflow.jobs.runner import read_job
from leadflow.jobs.services import sweep_jobs
from leadflow.leads.models import Lead
from leadflow.leads.services import create_lead
from tests.integration.jobs.helpers import left_by_dead_worker


def _switch_on(container: Container) -> None:
    with container.uow() as uow:
        set_rule_enabled(get_rule_by_key(uow.session, ORPHAN_RULE_KEY).id, True, uow=uow)
        uow.commit()
    container.relay.drain()


def _lead(container: Container, **values: object) -> int:
    with container.uow() as uow:
        lead = create_lead(values, uow=uow)
        uow.commit()
    container.relay.drain()
    return lead.id


def _backfill(container: Container) -> Job:
    with container.uow() as uow:
        job = start_orphan_backfill(uow=uow)
        uow.commit()  # the test queue runs the job right after the commit
    return read_job(container, job.id)


def _parent(container: Container, lead_id: int) -> Contact | None:
    with container.read_session() as session:
        lead = session.get(Lead, lead_id)
        assert lead is not None
        if lead.parent_contact_id is None:
            return None
        contact = session.get(Contact, lead.parent_contact_id)
        session.expunge_all()
        return contact


def test_the_rule_is_off_by_default_and_leaves_orphans_alone(container: Container) -> None:
    lead_id = _lead(container, email="orphan@example.com", last_name="Orphan")
    assert _parent(container, lead_id) is None


def test_switched_on_a_new_orphan_gets_a_created_marketing_only_contact(
    container: Container,
) -> None:
    _switch_on(container)
    lead_id = _lead(
        container,
        email="Ada@Example.com",
        first_name="Ada",
        last_name="Lovelace",
        phone="+44 20 7946 0958",
        company_name="Analytical Engines",
    )

    contact = _parent(container, lead_id)
    assert contact is not None
    assert (contact.email_normalized, contact.first_name, contact.last_name) == (
        "ada@example.com",
        "Ada",
        "Lovelace",
    )
    assert contact.phone == "+442079460958"
    assert contact.marketing_only is True


def test_switched_on_an_orphan_is_matched_to_its_existing_contact(container: Container) -> None:
    with container.uow() as uow:
        existing = create_contact({"email": "grace@example.com", "last_name": "Hopper"}, uow=uow)
        uow.commit()
    container.relay.drain()
    _switch_on(container)

    lead_id = _lead(container, email=" GRACE@example.com ", last_name="Hopper")

    contact = _parent(container, lead_id)
    assert contact is not None and contact.id == existing.id
    assert contact.marketing_only is False


def test_the_backfill_links_existing_orphans_once(container: Container) -> None:
    ids = [_lead(container, email=f"p{n}@example.com", last_name=f"P{n}") for n in range(5)]
    ids.append(_lead(container, email="p0@example.com", last_name="P0 again"))
    nameless = _lead(container, topic="no email, no name")

    job = _backfill(container)

    assert job.result == {"total": 7, "linked": 6, "skipped": 1}
    assert (job.status, job.done, job.total) == ("succeeded", 7, 7)
    parents = [_parent(container, lead_id) for lead_id in ids]
    assert all(parent is not None for parent in parents)
    # The two leads of p0@ share one contact: the second matched the first's.
    assert parents[0] is not None and parents[5] is not None
    assert parents[0].id == parents[5].id
    assert _parent(container, nameless) is None
    with container.read_session() as session:
        assert session.scalar(select(func.count()).select_from(Contact)) == 5

    again = _backfill(container)
    assert again.result == {"total": 1, "linked": 0, "skipped": 1}


def test_a_crashed_backfill_resumes_after_its_last_committed_batch(
    container: Container, make_container: Callable[..., Container]
) -> None:
    ids = [_lead(container, email=f"r{n}@example.com", last_name=f"R{n}") for n in range(4)]
    without_worker = make_container(huey_immediate=False)
    with without_worker.uow() as uow:
        job_id = start_orphan_backfill(uow=uow).id
        uow.commit()
    # The dead worker had committed the batch of the first two leads (as counted here).
    left_by_dead_worker(
        container,
        job_id,
        params={"batch_size": 1},
        checkpoint={"last_id": ids[1], "linked": 2, "skipped": 0},
        done=2,
        total=4,
    )

    with container.uow() as uow:
        swept = sweep_jobs(uow=uow)
        uow.commit()

    job = read_job(container, job_id)
    assert swept.resumed == [job_id]
    assert (job.status, job.attempts, job.done, job.total) == ("succeeded", 2, 4, 4)
    assert job.result == {"total": 4, "linked": 4, "skipped": 0}
    assert job.checkpoint == {"last_id": ids[3], "linked": 4, "skipped": 0}
    assert [_parent(container, lead_id) is None for lead_id in ids] == [True, True, False, False]
