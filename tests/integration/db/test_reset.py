"""The fast reset between tests gives what emptying every table and seeding gives."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select, text

from leadflow.bootstrap import Container, all_tables
from leadflow.contacts.models import Contact
from leadflow.contacts.services import create_contact
from leadflow.outbox import OutboxMessage
from tests.conftest import empty_tables, seeded_state
from tests.support.database import row_counts
from tests.support.factories import user_with_token

metadata = all_tables()


def _dump(container: Container) -> dict[str, Any]:
    """Every row of every table (times and secrets blanked: each seeding draws its
    own) and, on
    PostgreSQL, where each sequence stands."""
    tables: dict[str, list[str]] = {}
    with container.engine.connect() as connection:
        for table in metadata.sorted_tables:
            rows = connection.execute(select(table)).all()
            tables[table.name] = sorted(repr(_blanked(row._asdict())) for row in rows)
        sequences = []
        if connection.dialect.name == "postgresql":
            sequences = list(
                connection.execute(
                    text("SELECT sequencename, last_value FROM pg_sequences ORDER BY 1")
                )
            )
    return {"tables": tables, "sequences": sequences}


def make_contact(container: Container, email: str) -> int:
    with container.uow() as uow:
        row = create_contact({"last_name": "Doe", "email": email}, uow=uow)
        uow.commit()
    container.relay.drain()
    return row.id


def _blanked(row: dict[str, Any]) -> dict[str, Any]:
    return {
        key: "<drawn>" if isinstance(value, datetime) or key == "secret" else value
        for key, value in row.items()
    }


def _dirty(container: Container) -> None:
    user_with_token(container, "admin")
    make_contact(container, email="someone@example.test")


def _empty_and_seed_as_before(container: Container) -> None:
    """The reset this replaced: every table emptied (TRUNCATE ... RESTART IDENTITY on
    PostgreSQL), the defaults seeded through the services, their events handled."""
    names = [table.name for table in reversed(metadata.sorted_tables)]
    with container.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            joined = ", ".join(f'"{name}"' for name in names)
            connection.execute(text(f"TRUNCATE {joined} RESTART IDENTITY CASCADE"))
        else:
            for name in names:
                connection.execute(text(f'DELETE FROM "{name}"'))
    container.seed_defaults()
    container.relay.drain()
    with container.engine.begin() as connection:
        connection.execute(OutboxMessage.__table__.delete())


def test_a_restored_database_equals_an_emptied_and_freshly_seeded_one(
    container: Container,
) -> None:
    _dirty(container)
    dirty = _dump(container)
    seeded_state(container)
    restored = _dump(container)
    _dirty(container)
    _empty_and_seed_as_before(container)
    reference = _dump(container)

    assert restored == reference
    assert dirty != reference
    seeded = {name for name, rows in reference["tables"].items() if rows}
    assert {"matching_strategies", "process_definitions"} <= seeded


def test_emptied_tables_hold_no_rows_and_ids_start_again(container: Container) -> None:
    _dirty(container)
    with container.engine.connect() as connection:
        before = row_counts(connection)
    empty_tables(container)
    with container.engine.connect() as connection:
        after = row_counts(connection)
    contact_id = make_contact(container, email="first@example.test")

    assert {"users", "contacts", "matching_strategies"} <= set(before)
    assert after == {}
    with container.read_session() as session:
        assert session.scalars(select(Contact.id)).all() == [contact_id] == [1]
