"""The relay's `capture.submissions` batch: set-based, deduplicated, isolated, exactly once."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
import threading
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update

from leadflow.bootstrap import Container
from leadflow.capture.models import FormSubmission, MarketingForm
from leadflow.capture.services import (
    accept_submission,
    create_form,
    do_process_submissions,
    update_form,
)
from leadflow.contacts.models import Contact
from leadflow.contacts.services import create_contact
from leadflow.interactions.models import Interaction
from leadflow.leads.models import Lead
from leadflow.leads.services import create_lead
from leadflow.matching.services import strategy_by_seed_key
from tests.support.outbox import expire_leases


def _form(container: Container, slug: str = "webinar", **settings: Any) -> MarketingForm:
    with container.uow() as uow:
        form = create_form({"name": "Webinar", "slug": slug, **settings}, uow=uow)
        uow.commit()
    container.relay.drain()
    return form


def _accept_together(
    container: Container, form_id: int, payloads: list[dict[str, Any]]
) -> list[int]:
    """Accept the submissions in one commit, so the relay takes them in one batch."""
    with container.uow() as uow:
        ids = [accept_submission(form_id, item, uow=uow).submission_id for item in payloads]
        uow.commit()
    return [item for item in ids if item is not None]


def _submissions(container: Container) -> list[FormSubmission]:
    with container.read_session() as session:
        return list(session.scalars(select(FormSubmission).order_by(FormSubmission.id)))


def _emails(container: Container, model: Any) -> Counter[str]:
    with container.read_session() as session:
        return Counter(session.scalars(select(model.email_normalized)))


def test_the_same_person_twice_in_a_batch_is_one_contact_and_one_lead(
    container: Container,
) -> None:
    form = _form(container)
    _accept_together(
        container,
        form.id,
        [
            {"email": "ada@example.com", "first_name": "Ada"},
            {"email": "grace@example.com"},
            {"email": " ADA@example.com ", "last_name": "Lovelace"},
        ],
    )
    container.relay.drain()

    first, _other, again = _submissions(container)
    assert _emails(container, Contact) == {"ada@example.com": 1, "grace@example.com": 1}
    assert _emails(container, Lead) == {"ada@example.com": 1, "grace@example.com": 1}
    assert (first.contact_id, first.lead_id) == (again.contact_id, again.lead_id)
    assert (first.contact_created, again.contact_created) == (True, False)
    with container.read_session() as session:
        ada = session.get(Contact, first.contact_id)
        assert ada is not None and (ada.first_name, ada.last_name) == ("Ada", "Lovelace")
        kinds = list(session.scalars(select(Interaction.contact_id)))
    assert Counter(kinds)[first.contact_id] == 2 and len(kinds) == 3


def test_existing_contacts_are_matched_in_a_batch_by_each_strategy_kind(
    container: Container,
) -> None:
    with container.uow() as uow:
        by_email = create_contact({"email": "mail@example.com", "first_name": "X"}, uow=uow).id
        by_name = create_contact({"first_name": "Alan", "last_name": "Turing"}, uow=uow).id
        both = create_contact(
            {"email": "both@example.com", "first_name": "Ada", "last_name": "Byron"}, uow=uow
        ).id
        uow.commit()
    container.relay.drain()
    fields = [
        {"name": "email", "type": "email", "contact_field": "email", "lead_field": "email"},
        {"name": "first_name", "contact_field": "first_name", "lead_field": "first_name"},
        {"name": "last_name", "contact_field": "last_name", "lead_field": "last_name"},
    ]
    with container.read_session() as session:
        strategies = {
            key: strategy.id
            for key in ("contact_email", "contact_name", "contact_email_name")
            if (strategy := strategy_by_seed_key(session, key)) is not None
        }
    forms = {
        key: _form(container, slug=key.replace("_", "-"), fields=fields, contact_strategy_id=item)
        for key, item in strategies.items()
    }
    payloads = {
        "contact_email": {"email": "MAIL@example.com"},
        "contact_name": {"first_name": " alan ", "last_name": "TURING", "email": "x@example.com"},
        "contact_email_name": {
            "email": "both@example.com",
            "first_name": "ada",
            "last_name": "byron",
        },
    }
    with container.uow() as uow:
        ids = {
            key: accept_submission(forms[key].id, payloads[key], uow=uow).submission_id
            for key in payloads
        }
        uow.commit()
    container.relay.drain()

    with container.read_session() as session:
        matched = {key: session.get(FormSubmission, item) for key, item in ids.items()}
    assert {key: row.contact_id for key, row in matched.items() if row} == {
        "contact_email": by_email,
        "contact_name": by_name,
        "contact_email_name": both,
    }
    assert {row.contact_created for row in matched.values() if row} == {False}
    with container.read_session() as session:
        assert session.scalar(select(Contact.email).where(Contact.id == by_name)) == "x@example.com"


def test_a_submission_that_fails_in_the_batch_fails_alone(container: Container) -> None:
    form = _form(container)
    with container.uow() as uow:
        contact = create_contact({"email": "closed@example.com"}, uow=uow)
        lead = create_lead(
            {
                "email": "closed@example.com",
                "parent_contact_id": contact.id,
                "marketing_page_id": form.page_id,
            },
            uow=uow,
        )
        uow.commit()
    container.relay.drain()
    with container.engine.begin() as connection:
        # A qualified lead is read-only: updating it from a submission is refused.
        connection.execute(update(Lead).where(Lead.id == lead.id).values(status="qualified"))
    bad, good = _accept_together(
        container, form.id, [{"email": "closed@example.com"}, {"email": "fine@example.com"}]
    )
    container.relay.drain()

    with container.read_session() as session:
        failed = session.get(FormSubmission, bad)
        succeeded = session.get(FormSubmission, good)
    assert succeeded is not None and succeeded.status == "succeeded"
    assert failed is not None and failed.status == "failed"
    assert failed.errors == [{"field": "status", "message": "The lead is qualified and read-only"}]
    assert _emails(container, Contact) == {"closed@example.com": 1, "fine@example.com": 1}
    assert container.relay.pending_count() == 0 and container.relay.parked_count() == 0


def test_input_the_form_no_longer_accepts_fails_alone_and_is_resubmitted(
    container: Container,
) -> None:
    form = _form(container)
    ids = _accept_together(
        container, form.id, [{"email": "ada@example.com"}, {"email": "bob@example.com", "x": 1}]
    )
    with container.uow() as uow:
        update_form(
            form.id,
            {
                "fields": [
                    {"name": "email", "type": "email", "required": True, "contact_field": "email"},
                    {"name": "x", "type": "text", "required": True},
                ]
            },
            uow=uow,
        )
        uow.commit()
    container.relay.drain()
    first, second = _submissions(container)
    assert (first.id, first.status, first.errors) == (
        ids[0],
        "failed",
        [{"field": "x", "message": "X is required"}],
    )
    assert second.status == "succeeded"
    assert _emails(container, Contact) == {"bob@example.com": 1}


def test_two_processes_racing_on_the_same_emails_create_each_person_once(
    container: Container, make_container: Any
) -> None:
    other = make_container()
    form = _form(container)
    emails = [f"race{n}@example.com" for n in range(10)]
    left = _accept_together(container, form.id, [{"email": item} for item in emails])
    right = _accept_together(container, form.id, [{"email": item} for item in reversed(emails)])
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def process(which: Container, ids: list[int]) -> None:
        try:
            barrier.wait()
            do_process_submissions(dict.fromkeys(ids), new_uow=which.uow)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [
        threading.Thread(target=process, args=(container, left)),
        threading.Thread(target=process, args=(other, right)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert _emails(container, Contact) == dict.fromkeys(emails, 1)
    assert _emails(container, Lead) == dict.fromkeys(emails, 1)
    assert {row.status for row in _submissions(container)} == {"succeeded"}


# Accepts submissions (a third of them for the same person), then processes them with a
# stall: after the batch has committed (`after`), or inside it before its commit
# (`before`); the parent kills it there.
KILLED_PROCESSING = textwrap.dedent(
    """
    import sys, time
    from leadflow.bootstrap import Container
    from leadflow.capture import services
    from leadflow.capture.events import SubmissionAccepted
    from leadflow.capture.services import _processing
    from leadflow.config import Settings

    container = Container(Settings(database_url=sys.argv[1], var_dir=sys.argv[2],
                                   secret_key="t", huey_immediate=True))
    form_id, where = int(sys.argv[3]), sys.argv[4]

    def stall(*args):
        print("stalled", flush=True)
        time.sleep(600)

    if where == "after":
        container.bus.subscribe_batch([SubmissionAccepted], stall, name="test.stall")
    else:
        _processing._write_outcomes = stall
    with container.uow() as uow:
        for n in range(30):
            services.accept_submission(form_id, {"email": f"p{n % 20}@example.com"}, uow=uow)
        uow.commit()
    print("accepted", flush=True)
    container.relay.drain()
    """
)


@pytest.mark.parametrize("where", ["after", "before"])
def test_a_relay_killed_while_processing_leaves_each_submission_processed_once(
    container: Container, database_url: str, tmp_path: Path, where: str
) -> None:
    form = _form(container)
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            KILLED_PROCESSING,
            database_url,
            str(tmp_path / "var"),
            str(form.id),
            where,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        assert process.stdout.readline().strip() == "accepted"
        stalled = process.stdout.readline()
        assert stalled.startswith("stalled"), process.stderr.read() if process.stderr else ""
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL
    processed_before = {row.status for row in _submissions(container)}
    assert processed_before == ({"succeeded"} if where == "after" else {"accepted"})

    # The dead process's lease runs out; this process's relay takes the batch again.
    expire_leases(container)
    container.relay.drain()

    assert container.relay.pending_count() == 0
    assert [row.status for row in _submissions(container)] == ["succeeded"] * 30
    people = {f"p{n}@example.com": 1 for n in range(20)}
    assert _emails(container, Contact) == people and _emails(container, Lead) == people
    with container.read_session() as session:
        per_submission = Counter(
            item["submission_id"] for item in session.scalars(select(Interaction.data))
        )
    assert sorted(per_submission.values()) == [1] * 30


def test_forms_matching_on_different_strategies_in_one_batch_find_the_same_person(
    container: Container,
) -> None:
    fields = [
        {"name": "email", "type": "email", "contact_field": "email", "lead_field": "email"},
        {"name": "first_name", "contact_field": "first_name"},
        {"name": "last_name", "contact_field": "last_name"},
    ]
    with container.read_session() as session:
        by_name = strategy_by_seed_key(session, "contact_email_name")
        assert by_name is not None
    by_email_form = _form(container, slug="by-email", fields=fields)
    by_name_form = _form(container, slug="by-name", fields=fields, contact_strategy_id=by_name.id)
    person = {"email": "ada@example.com", "first_name": "Ada", "last_name": "Lovelace"}
    with container.uow() as uow:
        accept_submission(by_name_form.id, person, uow=uow)
        accept_submission(by_email_form.id, person, uow=uow)
        uow.commit()
    container.relay.drain()

    first, second = _submissions(container)
    assert _emails(container, Contact) == {"ada@example.com": 1}
    assert first.contact_id == second.contact_id
    assert (first.contact_created, second.contact_created) == (True, False)
