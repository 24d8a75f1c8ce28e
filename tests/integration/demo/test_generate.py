"""The synthetic generator: exact counts, same seed same rows, values the services would write."""

from __future__ import annotations

import hashlib
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text

from leadflow.accounts.models import Account
from leadflow.bootstrap import Container
from leadflow.contacts.domain import Consent, ContactRole
from leadflow.contacts.models import Contact
from leadflow.contacts.services import create_contact
from leadflow.demo.synthetic import GenerateSpec, generate_dataset
from leadflow.errors import ValidationFailed
from leadflow.interactions.domain import InteractionKind
from leadflow.interactions.models import Interaction
from leadflow.leads.domain import LeadSource, LeadStatus, LeadStatusReason, reason_fits
from leadflow.leads.models import Lead
from leadflow.lib.normalize import Phone, normalize_email, parse_phone, phone_region
from tests.conftest import empty_tables

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
# Small chunks, so every table is written in several of them.
SMALL = GenerateSpec(
    contacts=200, accounts=20, leads=300, interactions=2_000, seed=7, now=NOW, chunk_size=128
)
TABLES = {"accounts": Account, "contacts": Contact, "leads": Lead, "interactions": Interaction}


def _counts(container: Container) -> dict[str, int]:
    with container.read_session() as session:
        return {
            name: int(session.scalar(select(func.count()).select_from(model)) or 0)
            for name, model in TABLES.items()
        }


def _checksum(container: Container) -> str:
    digest = hashlib.sha256()
    queries = (
        select(Account.id, Account.name, Account.domain, Account.created_at).order_by(Account.id),
        select(
            Contact.id, Contact.email, Contact.last_name, Contact.phone, Contact.account_id,
            Contact.created_at, Contact.updated_at,
        ).order_by(Contact.id),
        select(
            Lead.id, Lead.topic, Lead.email_normalized, Lead.status, Lead.parent_contact_id,
            Lead.parent_account_id, Lead.created_at,
        ).order_by(Lead.id),
        select(
            Interaction.id, Interaction.contact_id, Interaction.lead_id, Interaction.kind,
            Interaction.occurred_at,
        ).order_by(Interaction.id),
    )  # fmt: skip
    with container.read_session() as session:
        for query in queries:
            for row in session.execute(query):
                digest.update(repr(tuple(row)).encode())
    return digest.hexdigest()


def test_writes_exactly_the_rows_asked_for(container: Container) -> None:
    written = generate_dataset(container.engine, SMALL)
    expected = {"accounts": 20, "contacts": 200, "leads": 300, "interactions": 2_000}
    assert (written, _counts(container)) == (expected, expected)


def test_the_same_seed_writes_the_same_rows(container: Container) -> None:
    generate_dataset(container.engine, SMALL)
    first = _checksum(container)
    empty_tables(container)
    generate_dataset(container.engine, SMALL)
    again = _checksum(container)
    empty_tables(container)
    generate_dataset(container.engine, replace(SMALL, seed=8))
    other_seed = _checksum(container)
    assert (again == first, other_seed == first) == (True, False)


def test_reports_progress_per_table_up_to_its_total(container: Container) -> None:
    seen: dict[str, list[tuple[int, int]]] = {}

    def report(table: str, done: int, total: int) -> None:
        seen.setdefault(table, []).append((done, total))

    generate_dataset(container.engine, SMALL, progress=report)
    assert {table: steps[-1] for table, steps in seen.items()} == {
        "accounts": (20, 20),
        "contacts": (200, 200),
        "leads": (300, 300),
        "interactions": (2_000, 2_000),
    }
    assert len(seen["interactions"]) == 1 + 16  # the start, then one per chunk of 128


def test_emails_are_stored_normalised(container: Container) -> None:
    generate_dataset(container.engine, SMALL)
    with container.read_session() as session:
        pairs = [
            *session.execute(select(Contact.email, Contact.email_normalized)),
            *session.execute(
                select(Lead.email, Lead.email_normalized).where(Lead.email.is_not(None))
            ),
        ]
    assert len(pairs) > 400
    assert [(email, normalize_email(email)) for email, _ in pairs] == [
        (email, normalized) for email, normalized in pairs
    ]
    assert any(email != normalized for email, normalized in pairs)  # some typed capitals


def _value(phone: Phone | None) -> str | None:
    return phone.value if phone is not None else None


def test_phones_are_e164_next_to_what_was_typed(container: Container) -> None:
    generate_dataset(container.engine, SMALL)
    with container.read_session() as session:
        contacts = session.execute(
            select(Contact.phone_raw, Contact.country, Contact.phone).where(
                Contact.phone.is_not(None)
            )
        ).all()
        leads = session.execute(
            select(Lead.phone_raw, Lead.phone).where(Lead.phone.is_not(None))
        ).all()
    assert len(contacts) > 100 and len(leads) > 50
    # The generator writes around the services; what it writes is what their one
    # normaliser gives (a contact's national number read in its own country).
    assert [
        (raw, _value(parse_phone(raw, phone_region([country])))) for raw, country, _ in contacts
    ] == [(raw, phone) for raw, _, phone in contacts]
    assert [(raw, _value(parse_phone(raw))) for raw, _ in leads] == [
        (raw, phone) for raw, phone in leads
    ]


def test_choice_columns_hold_valid_values(container: Container) -> None:
    generate_dataset(container.engine, SMALL)
    with container.read_session() as session:
        statuses = {tuple(row) for row in session.execute(select(Lead.status, Lead.status_reason))}
        sources = set(session.scalars(select(Lead.source)))
        roles = set(session.scalars(select(Contact.role)))
        consents = set(session.scalars(select(Contact.consent)))
        kinds = set(session.scalars(select(Interaction.kind)))
    assert all(
        reason_fits(LeadStatus(status), LeadStatusReason(reason)) for status, reason in statuses
    )
    assert {status for status, _ in statuses} == set(LeadStatus)
    assert sources <= set(LeadSource) and LeadSource.EVENT in sources
    assert roles <= {*ContactRole, None}
    assert consents <= set(Consent)
    # Logged calls come from people at work, not from the generated history.
    assert kinds == set(InteractionKind) - {InteractionKind.CALL_LOGGED}


def test_leads_link_to_contacts_their_accounts_or_nothing(container: Container) -> None:
    generate_dataset(container.engine, SMALL)
    with container.read_session() as session:
        leads = session.execute(
            select(Lead.parent_contact_id, Lead.parent_account_id, Contact.account_id).outerjoin(
                Contact, Contact.id == Lead.parent_contact_id
            )
        ).all()
        account_ids = set(session.scalars(select(Account.id)))
    to_contact = [lead for lead in leads if lead.parent_contact_id is not None]
    account_only = [lead for lead in leads if lead.parent_contact_id is None and lead[1]]
    orphans = [lead for lead in leads if lead.parent_contact_id is None and lead[1] is None]
    assert len(to_contact) > len(account_only) > 0 and len(orphans) > 0
    assert all(lead.parent_account_id == lead.account_id for lead in to_contact)
    assert {lead.parent_account_id for lead in account_only} <= account_ids


def test_interactions_belong_to_existing_contacts_and_their_leads(container: Container) -> None:
    generate_dataset(container.engine, SMALL)
    with container.read_session() as session:
        rows = session.execute(
            select(
                Interaction.contact_id,
                Interaction.lead_id,
                Interaction.occurred_at,
                Contact.id,
                Contact.created_at,
                Lead.parent_contact_id,
            )
            .outerjoin(Contact, Contact.id == Interaction.contact_id)
            .outerjoin(Lead, Lead.id == Interaction.lead_id)
        ).all()
    assert all(row[3] is not None for row in rows)
    with_lead = [row for row in rows if row.lead_id is not None]
    assert 0 < len(with_lead) < len(rows)
    assert all(row.parent_contact_id == row.contact_id for row in with_lead)
    assert all(row.created_at <= row.occurred_at <= NOW for row in rows)


def test_dates_spread_over_two_years_before_now(container: Container) -> None:
    generate_dataset(container.engine, SMALL)
    with container.read_session() as session:
        for model in (Account, Contact, Lead):
            first, last, backwards = session.execute(
                select(
                    func.min(model.created_at),
                    func.max(model.updated_at),
                    func.count().filter(model.updated_at < model.created_at),
                )
            ).one()
            assert NOW - timedelta(days=730) <= first < NOW - timedelta(days=600)
            assert NOW - timedelta(days=60) < last <= NOW
            assert backwards == 0


def test_datetimes_sort_and_compare_with_the_ones_services_write(container: Container) -> None:
    generate_dataset(container.engine, SMALL)
    with container.uow() as uow:
        newest = create_contact({"email": "newest@example.com"}, uow=uow).id
        uow.commit()
    since = NOW - timedelta(days=30)
    with container.read_session() as session:
        stamps = list(session.scalars(select(Contact.created_at).where(Contact.id != newest)))
        latest = session.scalar(select(Contact.id).order_by(Contact.created_at.desc()).limit(1))
        recent = session.scalar(select(func.count()).where(Contact.created_at >= since))
    assert (latest, recent) == (newest, 1 + sum(stamp >= since for stamp in stamps))
    if container.engine.dialect.name == "sqlite":
        # SQLite compares text: it must be exactly the form SQLAlchemy writes.
        with container.engine.connect() as connection:
            raw = connection.execute(
                text(
                    "SELECT created_at FROM contacts UNION ALL SELECT occurred_at FROM interactions"
                )
            ).scalars()
            shapes = {bool(re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}", v)) for v in raw}
        assert shapes == {True}


def test_a_second_run_adds_after_the_existing_ids(container: Container) -> None:
    generate_dataset(container.engine, SMALL)
    generate_dataset(container.engine, replace(SMALL, seed=8))
    with container.uow() as uow:
        # The services still get fresh ids (on PostgreSQL the sequences moved on).
        created = create_contact({"email": "after@example.com"}, uow=uow)
        uow.commit()
    with container.read_session() as session:
        orphan_interactions = session.scalar(
            select(func.count())
            .select_from(Interaction)
            .outerjoin(Contact, Contact.id == Interaction.contact_id)
            .where(Contact.id.is_(None))
        )
        second_run_links = session.scalar(
            select(func.min(Lead.parent_contact_id)).where(Lead.id > SMALL.leads)
        )
    assert _counts(container) == {
        "accounts": 40,
        "contacts": 401,
        "leads": 600,
        "interactions": 4_000,
    }
    assert created.id == 401
    assert orphan_interactions == 0
    assert second_run_links is not None and second_run_links > SMALL.contacts


def test_interactions_without_contacts_are_refused(container: Container) -> None:
    with pytest.raises(ValidationFailed) as caught:
        generate_dataset(container.engine, GenerateSpec(contacts=0, interactions=10))
    assert caught.value.field == "contacts"


def test_the_api_lists_generated_leads(
    container: Container, client: TestClient, admin: dict[str, str]
) -> None:
    generate_dataset(container.engine, SMALL)
    first = client.get("/api/v1/leads?status=open&sort=-created_at&limit=50", headers=admin)
    assert first.status_code == 200
    page = first.json()
    second = client.get(
        f"/api/v1/leads?status=open&sort=-created_at&limit=50&cursor={page['next_cursor']}",
        headers=admin,
    ).json()
    items = page["items"] + second["items"]
    stamps = [datetime.fromisoformat(item["created_at"]) for item in items]
    assert (len(page["items"]), len(second["items"])) == (50, 50)
    assert {item["status"] for item in items} == {"open"}
    assert stamps == sorted(stamps, reverse=True) and len({item["id"] for item in items}) == 100
    assert all(NOW - timedelta(days=730) <= stamp <= NOW for stamp in stamps)
    email = next(item["email"] for item in items if item["email"])
    found = client.get("/api/v1/leads", params={"q": email}, headers=admin).json()["items"]
    assert found and {item["email"].lower() for item in found} == {email.lower()}
