"""Importing accounts (matched by web domain, else name), contacts linked to them,
custom fields, and an XLSX file."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from leadflow.accounts.models import Account
from leadflow.accounts.services import do_create_account
from leadflow.bootstrap import Container
from leadflow.registry.services import do_add_custom_field
from tests.integration.imports.helpers import contacts, csv_bytes, run, upload
from tests.support.xlsx import write_xlsx


def _accounts(container: Container) -> list[Account]:
    with container.read_session() as session:
        rows = list(session.scalars(select(Account).order_by(Account.id)))
        session.expunge_all()
        return rows


def test_accounts_match_by_domain_then_by_name(container: Container) -> None:
    with container.uow() as uow:
        by_domain = do_create_account(
            {"name": "Contoso", "website": "https://contoso.com"}, uow=uow
        ).id
        by_name = do_create_account({"name": "Fabrikam Inc"}, uow=uow).id
    data = csv_bytes(
        "Account name,Website,Industry",
        "Contoso Ltd,www.contoso.com,Retail",
        "fabrikam  inc,,Energy",
        "Northwind,northwind.example,Food",
    )

    imp = run(container, upload(container, "account", data))

    assert (imp.counts["update"], imp.counts["create"]) == (2, 1)
    assert [(a.id, a.name, a.domain, a.industry) for a in _accounts(container)] == [
        (by_domain, "Contoso Ltd", "contoso.com", "Retail"),
        (by_name, "Fabrikam Inc", None, "Energy"),
        (by_name + 1, "Northwind", "northwind.example", "Food"),
    ]


def test_contacts_link_to_their_account_by_web_domain(container: Container) -> None:
    with container.uow() as uow:
        account_id = do_create_account({"name": "Contoso", "website": "contoso.com"}, uow=uow).id
    data = csv_bytes("email,company website", "ann@example.com,https://www.contoso.com/")

    run(container, upload(container, "contact", data))

    [contact] = contacts(container)
    assert contact.account_id == account_id


def test_custom_fields_are_imported(container: Container) -> None:
    do_add_custom_field(
        {"entity": "contact", "name": "shoe_size", "label": "Shoe size", "type": "integer"},
        uow=container.uow(),
    )
    container.relay.drain()
    data = csv_bytes("email,Shoe size", "ann@example.com,42", "bo@example.com,big")

    imp = run(container, upload(container, "contact", data))

    assert (imp.counts["create"], imp.counts["error"]) == (1, 1)
    [contact] = contacts(container)
    assert contact.custom == {"shoe_size": 42}


def test_an_xlsx_file_is_imported(container: Container, tmp_path: Path) -> None:
    path = tmp_path / "people.xlsx"
    write_xlsx(path, [["Email", "First name"], ["ann@example.com", "Ann"], ["bo@example.com", 7]])

    imp = run(container, upload(container, "contact", path.read_bytes(), filename="people.xlsx"))

    assert imp.counts["create"] == 2
    assert [(c.email, c.first_name) for c in contacts(container)] == [
        ("ann@example.com", "Ann"),
        ("bo@example.com", "7"),
    ]
