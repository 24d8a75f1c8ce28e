"""org settings (the default phone region); phones kept as typed and read in the record's country

Revision ID: 0006
Revises: 0005

Data: `phone_raw` is filled from `phone` where a row has none (rows written around
the services), and a phone still in national format is read again in the record's
own country: a contact's country (else its account's), a lead's parent contact's
(else its parent account's). The org default region is new, so it is not set yet;
numbers no country explains stay as they were until they are next written.
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

import leadflow.db.base
from leadflow.lib.normalize import parse_phone, phone_region

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BATCH = 1000


def upgrade() -> None:
    op.create_table(
        "org_settings",
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("value", sa.String(length=200), nullable=False),
        sa.Column("updated_at", leadflow.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_org_settings")),
    )
    for table in ("contacts", "leads"):
        op.execute(
            f"UPDATE {table} SET phone_raw = phone WHERE phone_raw IS NULL AND phone IS NOT NULL"
        )
    _renormalise(_contact_phones())
    _renormalise(_lead_phones())


def _contact_phones() -> tuple[sa.Table, sa.Select[Any]]:
    meta = sa.MetaData()
    contacts = sa.Table(
        "contacts",
        meta,
        sa.Column("id", sa.BigInteger),
        sa.Column("phone", sa.String),
        sa.Column("phone_raw", sa.String),
        sa.Column("country", sa.String),
        sa.Column("account_id", sa.BigInteger),
    )
    accounts = sa.Table(
        "accounts", meta, sa.Column("id", sa.BigInteger), sa.Column("country", sa.String)
    )
    query = sa.select(
        contacts.c.id, contacts.c.phone_raw, contacts.c.country, accounts.c.country
    ).select_from(contacts.outerjoin(accounts, accounts.c.id == contacts.c.account_id))
    return contacts, query


def _lead_phones() -> tuple[sa.Table, sa.Select[Any]]:
    meta = sa.MetaData()
    leads = sa.Table(
        "leads",
        meta,
        sa.Column("id", sa.BigInteger),
        sa.Column("phone", sa.String),
        sa.Column("phone_raw", sa.String),
        sa.Column("parent_contact_id", sa.BigInteger),
        sa.Column("parent_account_id", sa.BigInteger),
    )
    contacts = sa.Table(
        "contacts", meta, sa.Column("id", sa.BigInteger), sa.Column("country", sa.String)
    )
    accounts = sa.Table(
        "accounts", meta, sa.Column("id", sa.BigInteger), sa.Column("country", sa.String)
    )
    query = sa.select(
        leads.c.id, leads.c.phone_raw, contacts.c.country, accounts.c.country
    ).select_from(
        leads.outerjoin(contacts, contacts.c.id == leads.c.parent_contact_id).outerjoin(
            accounts, accounts.c.id == leads.c.parent_account_id
        )
    )
    return leads, query


def _renormalise(target: tuple[sa.Table, sa.Select[Any]]) -> None:
    """Read national-format phones again in the record's country, a batch of ids at a time."""
    table, query = target
    connection = op.get_bind()
    pending = query.where(
        table.c.phone.is_not(None),
        table.c.phone_raw.is_not(None),
        sa.not_(table.c.phone.startswith("+")),
    ).order_by(table.c.id)
    after = 0
    while True:
        rows = connection.execute(pending.where(table.c.id > after).limit(_BATCH)).all()
        if not rows:
            return
        after = rows[-1][0]
        updates = []
        for row_id, raw, *countries in rows:
            region = phone_region(countries)
            phone = parse_phone(raw, region) if region else None
            if phone is not None and phone.e164 is not None:
                updates.append({"row_id": row_id, "phone": phone.e164})
        if updates:
            connection.execute(
                table.update()
                .where(table.c.id == sa.bindparam("row_id"))
                .values(phone=sa.bindparam("phone")),
                updates,
            )


def downgrade() -> None:
    op.drop_table("org_settings")
