"""Account use cases: the only code that writes accounts."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlparse

from sqlalchemy.orm import Session

from leadflow.accounts.events import AccountCreated, AccountDeleted, AccountUpdated
from leadflow.accounts.models import Account
from leadflow.db.uow import UnitOfWork, in_own_transaction
from leadflow.leads.detach import detach_leads
from leadflow.records.crud import (
    EntitySpec,
    WriteContext,
    create_row,
    delete_row,
    get_row,
    update_row,
)


def domain_of(website: str) -> str | None:
    """'https://www.Contoso.com/about' -> 'contoso.com'."""
    candidate = website if "//" in website else f"//{website}"
    host = (urlparse(candidate).hostname or "").casefold()
    host = host.removeprefix("www.")
    return host or None


def _prepare_account(
    session: Session, values: dict[str, Any], existing: Any, context: WriteContext
) -> None:
    if values.get("website") and "domain" not in values:
        values["domain"] = domain_of(values["website"])
    if values.get("domain"):
        values["domain"] = str(values["domain"]).casefold().removeprefix("www.")


ACCOUNTS: EntitySpec[Account] = EntitySpec(
    entity="account",
    model=Account,
    created=AccountCreated,
    updated=AccountUpdated,
    deleted=AccountDeleted,
    prepare=_prepare_account,
)


def create_account(data: Mapping[str, Any], *, uow: UnitOfWork) -> Account:
    """Create an account; the domain is derived from the website when not given."""
    return create_row(ACCOUNTS, data, uow=uow)


def update_account(account_id: int, changes: Mapping[str, Any], *, uow: UnitOfWork) -> Account:
    row, _ = update_row(ACCOUNTS, account_id, changes, uow=uow)
    return row


def get_account(session: Session, account_id: int) -> Account:
    return get_row(session, ACCOUNTS, account_id)


def delete_account(account_id: int, *, unlink_leads: bool = False, uow: UnitOfWork) -> None:
    """Delete an account; its contacts stay, unlinked. Leads pointing at it block it."""
    get_account(uow.session, account_id)
    detach_leads(uow, field="parent_account_id", target_id=account_id, unlink=unlink_leads)
    delete_row(ACCOUNTS, account_id, uow=uow)


# Use cases: what faces call. Each opens the unit of work (or joins the one its
# face holds open to render), runs the step above and commits.


do_create_account = in_own_transaction(create_account)
do_update_account = in_own_transaction(update_account)
do_delete_account = in_own_transaction(delete_account)
