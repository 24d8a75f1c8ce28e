"""Migration 0006 on rows written before it: the typed phone kept, national numbers read in
the record's country, the rest left alone."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, create_engine, insert, inspect, select

from leadflow.accounts.models import Account
from leadflow.contacts.models import Contact
from leadflow.db.migrate import downgrade, upgrade
from leadflow.leads.models import Lead

NOW = datetime(2024, 5, 1, tzinfo=UTC)


def _insert(engine: Engine, model: Any, **values: Any) -> None:
    with engine.begin() as connection:
        connection.execute(insert(model.__table__).values(created_at=NOW, updated_at=NOW, **values))


def _phones(engine: Engine, model: Any) -> list[tuple[int, str | None, str | None]]:
    with engine.connect() as connection:
        rows = connection.execute(select(model.id, model.phone, model.phone_raw).order_by(model.id))
        return [tuple(row) for row in rows]


def test_0006_keeps_what_was_typed_and_reads_national_phones_in_the_records_country(
    fresh_url: str,
) -> None:
    upgrade(fresh_url, "0005")
    engine = create_engine(fresh_url)
    _insert(engine, Account, id=1, name="Analytical", country="United Kingdom")
    # A contact with a country name (not read before), one through its account, one with
    # no country at all, one already E.164, one written around the services (no raw).
    _insert(
        engine,
        Contact,
        id=1,
        phone="020 7946 0542",
        phone_raw="020 7946 0542",
        country="United Kingdom",
    )
    _insert(engine, Contact, id=2, phone="020 7946 0543", phone_raw="020 7946 0543", account_id=1)
    _insert(engine, Contact, id=3, phone="020 7946 0544", phone_raw="020 7946 0544")
    _insert(
        engine, Contact, id=4, phone="+442079460545", phone_raw="+44 20 7946 0545", country="GB"
    )
    _insert(engine, Contact, id=5, phone="+442079460546", country="GB")
    _insert(engine, Contact, id=6, phone="ask reception", phone_raw="ask reception", country="GB")
    # Leads: through the parent contact's country, the parent account's, neither.
    _insert(
        engine, Lead, id=1, phone="020 7946 0542", phone_raw="020 7946 0542", parent_contact_id=1
    )
    _insert(
        engine, Lead, id=2, phone="020 7946 0547", phone_raw="020 7946 0547", parent_account_id=1
    )
    _insert(engine, Lead, id=3, phone="020 7946 0548", phone_raw="020 7946 0548")

    upgrade(fresh_url, "0006")

    assert _phones(engine, Contact) == [
        (1, "+442079460542", "020 7946 0542"),
        (2, "+442079460543", "020 7946 0543"),
        (3, "020 7946 0544", "020 7946 0544"),
        (4, "+442079460545", "+44 20 7946 0545"),
        (5, "+442079460546", "+442079460546"),
        (6, "ask reception", "ask reception"),
    ]
    assert _phones(engine, Lead) == [
        (1, "+442079460542", "020 7946 0542"),
        (2, "+442079460547", "020 7946 0547"),
        (3, "020 7946 0548", "020 7946 0548"),
    ]
    assert "org_settings" in inspect(engine).get_table_names()
    engine.dispose()


def test_0006_downgrades_to_0005(fresh_url: str) -> None:
    upgrade(fresh_url, "0006")

    downgrade(fresh_url, "0005")

    engine = create_engine(fresh_url)
    assert "org_settings" not in inspect(engine).get_table_names()
    engine.dispose()
