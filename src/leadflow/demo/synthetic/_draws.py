"""Single draws the tables' rows share: a row that existed by then, a phone number, an
address, a lead's sales flags and purchase details. Pure; the caller's `random_` draws."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from leadflow.demo._pools import Country
from leadflow.demo.synthetic._shapes import _FIRST_MAIL, _LAST_MAIL, _NEEDS, _PROCESSES, _TIMEFRAMES
from leadflow.leads.domain import LeadStatus


@dataclass(slots=True)
class _LeadPerson:
    """Who a lead is about: a contact's person, an account only, or an orphan."""

    contact_id: int | None = None
    account_id: int | None = None
    first: str | None = None
    last: str | None = None
    email: str | None = None
    normalized: str | None = None
    company: str | None = None


@dataclass(slots=True)
class _SalesFlags:
    sales_ready: bool = False
    telemarketing_ready: bool = False
    telemarketing_accepted: bool = False
    sales_accepted: bool = False
    owner: int | None = None


def _existing(random_: Callable[[], float], share: float, count: int) -> int:
    """One of the first `share` of `count` rows: a row that existed by then (a contact's
    account existed when the contact was created, a lead's contact before the lead)."""
    return int(random_() * max(1, min(count, int(share * count))))


def _phone(
    random_: Callable[[], float], country: Country, *, international: bool
) -> tuple[str, str]:
    """A number on one of the country's plans: (E.164, as typed)."""
    plan = country.phones[int(random_() * len(country.phones))]
    digits = f"{int(random_() * 10**plan.digits):0{plan.digits}d}"
    typed = plan.international if international else plan.national
    return plan.e164.format(*digits), typed.format(*digits)


def _sales_flags(
    random_: Callable[[], float], status: LeadStatus, owners: Sequence[int]
) -> _SalesFlags:
    """A qualified lead was sales-ready and accepted; of the open ones some are ready (for
    sales or telemarketing), half of those accepted. An accepted lead has an owner."""
    sales_ready = telemarketing_ready = telemarketing_accepted = sales_accepted = False
    if status is LeadStatus.QUALIFIED:
        sales_ready = sales_accepted = True
    elif status is LeadStatus.OPEN:
        flags = random_()
        if flags < 0.08:
            sales_ready = True
            sales_accepted = random_() < 0.5
        elif flags < 0.23:
            telemarketing_ready = True
            telemarketing_accepted = random_() < 0.5
    owner = None
    if owners and (sales_accepted or telemarketing_accepted):
        owner = owners[int(random_() * len(owners))]
    return _SalesFlags(
        sales_ready, telemarketing_ready, telemarketing_accepted, sales_accepted, owner
    )


def _contact_email(first: int, last: int, row_id: int, domain: str) -> tuple[str, str]:
    """(as typed, normalized): a third of people type their address with capitals;
    matching folds them."""
    email = f"{_FIRST_MAIL[first]}.{_LAST_MAIL[last]}{row_id}@{domain}"
    normalized = email.lower()
    return (normalized if row_id % 3 else email), normalized


_NO_PURCHASE = (None, None, None, None)


def _purchase(random_: Callable[[], float]) -> tuple[str, str, int, str]:
    """A detailed lead's purchase timeframe, process, budget and need."""
    return (
        _TIMEFRAMES[int(random_() * len(_TIMEFRAMES))],
        _PROCESSES[int(random_() * len(_PROCESSES))],
        int(5 + random_() * 495) * 1000,
        _NEEDS[int(random_() * len(_NEEDS))],
    )
