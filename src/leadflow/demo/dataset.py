"""The demo: a small, lived-in marketing database written through the services.

Users for every role (logins in `DEMO_LOGINS`), 25 accounts, 200 contacts,
250 leads from six campaigns (the Contoso Ltd Conference, a spring webinar, a
whitepaper landing page, a trade-show list import, LinkedIn Lead Gen Forms and
the phone), a few opportunities, and about 3,000 interactions over the last
90 days: email campaigns with their sends, deliveries, opens and clicks, page
and website visits, form submissions, event registrations and attendance.

Everything is planned first (`plan_demo`, pure and seeded, relative to `now`)
and then written with the services, so events and the outbox behave as for
data users typed in. The services stamp records with the current time; the
last step moves `created_at` back to when the plan says each record appeared,
so lists, dashboards and timelines look like three months of work.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select, update

from leadflow.accounts.models import Account
from leadflow.accounts.services import create_account
from leadflow.bootstrap import Container
from leadflow.contacts.models import Contact
from leadflow.contacts.services import create_contact
from leadflow.demo.plan import DemoPlan, plan_demo
from leadflow.errors import Conflict
from leadflow.interactions.services import record_interactions
from leadflow.leads.models import Lead
from leadflow.leads.services import create_lead
from leadflow.lib.clock import utcnow
from leadflow.opportunities.models import Opportunity
from leadflow.opportunities.services import create_opportunity
from leadflow.outbox import handling_inline
from leadflow.users.domain import Role
from leadflow.users.models import User
from leadflow.users.services import create_user

__all__ = ["DEMO_LOGINS", "DemoLogin", "database_is_empty", "load_demo", "plan_demo"]

Progress = Callable[[int, int], None]

# The outbox relay hands at most this many events to the handlers per commit.
_EVENTS_PER_COMMIT = 400


@dataclass(frozen=True)
class DemoLogin:
    email: str
    password: str
    role: Role
    name: str


# `.example` (RFC 2606) rather than `.local`: email validation refuses
# special-use domains such as `.local`, and users go through that validation.
DEMO_EMAIL_DOMAIN = "leadflow.example"

DEMO_LOGINS: tuple[DemoLogin, ...] = (
    DemoLogin(f"admin@{DEMO_EMAIL_DOMAIN}", "leadflow-admin", Role.ADMIN, "Ada Admin"),
    DemoLogin(f"marketer@{DEMO_EMAIL_DOMAIN}", "leadflow-marketer", Role.MARKETER, "Mia Marketer"),
    DemoLogin(
        f"telemarketer@{DEMO_EMAIL_DOMAIN}",
        "leadflow-telemarketer",
        Role.TELEMARKETER,
        "Tom Telemarketer",
    ),
    DemoLogin(
        f"salesperson@{DEMO_EMAIL_DOMAIN}",
        "leadflow-salesperson",
        Role.SALESPERSON,
        "Sara Salesperson",
    ),
    DemoLogin(
        f"manager@{DEMO_EMAIL_DOMAIN}", "leadflow-manager", Role.SALES_MANAGER, "Max Manager"
    ),
)


@dataclass(frozen=True)
class DemoLoaded:
    """What the core demo wrote, for the capabilities that add their own demo on top."""

    users: Mapping[Role, int]
    account_ids: Sequence[int]
    contact_ids: Sequence[int]
    lead_ids: Sequence[int]
    opportunity_ids: Sequence[int]


# Each module has `extend(container, loaded) -> list[str]` (lines for the summary)
# and adds its capability's demo: forms and events, a live scoring model, process stages.
DEMO_EXTENSIONS = (
    "leadflow.demo.capture",
    "leadflow.demo.scoring",
    "leadflow.demo.process",
    "leadflow.demo.segments",
    "leadflow.demo.journeys",
)


def database_is_empty(container: Container) -> bool:
    """True when there are no users, contacts, accounts or leads yet."""
    with container.read_session() as session:
        return all(
            session.scalar(select(model.id).limit(1)) is None
            for model in (User, Contact, Account, Lead)
        )


def load_demo(
    container: Container, progress: Progress | None = None, *, now: datetime | None = None
) -> list[str]:
    """Write the demo through the services; returns what was loaded, one line per kind.

    Each step's events are handled before the next step, which reads their effects
    (scores, stages)."""
    with handling_inline():
        return _load_demo(container, progress, now=now)


def _load_demo(
    container: Container, progress: Progress | None, *, now: datetime | None
) -> list[str]:
    container.seed_defaults()
    plan = plan_demo(now or utcnow())
    loaded = _write_plan(container, plan, _advancer(plan, progress))
    extended: list[str] = []
    for module_name in DEMO_EXTENSIONS:
        extend: Callable[[Container, DemoLoaded], list[str]] = importlib.import_module(
            module_name
        ).extend
        extended.extend(extend(container, loaded))
    admin = DEMO_LOGINS[0]
    return [
        f"users: {len(DEMO_LOGINS)}",
        f"accounts: {len(loaded.account_ids)}",
        f"contacts: {len(loaded.contact_ids)}",
        f"leads: {len(loaded.lead_ids)}",
        f"opportunities: {len(loaded.opportunity_ids)}",
        f"interactions: {len(plan.interactions)}",
        *extended,
        f"log in as {admin.email} with password {admin.password} "
        "(or marketer@, telemarketer@, salesperson@, manager@ with leadflow-<role>)",
    ]


def _advancer(plan: DemoPlan, progress: Progress | None) -> Callable[[int], None]:
    """Counts the records written against the plan's total and reports each step."""
    total = (
        len(DEMO_LOGINS)
        + len(plan.accounts)
        + len(plan.contacts)
        + len(plan.leads)
        + len(plan.opportunities)
        + len(plan.interactions)
    )
    done = 0

    def advance(count: int) -> None:
        nonlocal done
        done += count
        if progress is not None:
            progress(done, total)

    if progress is not None:
        progress(0, total)
    return advance


def _write_plan(container: Container, plan: DemoPlan, advance: Callable[[int], None]) -> DemoLoaded:
    """The plan's users and records through the services, in creation order, then
    backdated to their planned times."""
    owners = _users(container, advance)
    account_ids = _create_each(container, plan.accounts, create_account, {}, advance)
    contact_ids = _create_each(
        container, plan.contacts, create_contact, {"account_id": account_ids}, advance
    )
    lead_refs = {
        "parent_contact_id": contact_ids,
        "parent_account_id": account_ids,
        "owner_id": owners,
    }
    lead_ids = _create_each(container, plan.leads, create_lead, lead_refs, advance)
    opportunity_refs = {
        "contact_id": contact_ids,
        "account_id": account_ids,
        "originating_lead_id": lead_ids,
    }
    opportunity_ids = _create_each(
        container, plan.opportunities, create_opportunity, opportunity_refs, advance
    )
    interaction_refs = {"contact_id": contact_ids, "lead_id": lead_ids}
    for batch in _batches(plan.interactions, _EVENTS_PER_COMMIT):
        with container.uow() as uow:
            record_interactions([_resolve(item, interaction_refs) for item in batch], uow=uow)
            uow.commit()
        advance(len(batch))
    _backdate(container, plan, account_ids, contact_ids, lead_ids, opportunity_ids)
    return DemoLoaded(
        users={login.role: user_id for login, user_id in zip(DEMO_LOGINS, owners, strict=True)},
        account_ids=account_ids,
        contact_ids=contact_ids,
        lead_ids=lead_ids,
        opportunity_ids=opportunity_ids,
    )


def _users(container: Container, advance: Callable[[int], None]) -> list[int]:
    """The demo users by role name order of DEMO_LOGINS; existing ones are reused."""
    ids: list[int] = []
    for login in DEMO_LOGINS:
        with container.uow() as uow:
            try:
                user = create_user(
                    email=login.email,
                    name=login.name,
                    role=login.role.value,
                    password=login.password,
                    uow=uow,
                )
            except Conflict as exc:
                if exc.existing_id is None:
                    raise
                ids.append(exc.existing_id)
            else:
                uow.commit()
                ids.append(user.id)
        advance(1)
    return ids


def _resolve(values: dict[str, Any], refs: Mapping[str, Sequence[int]]) -> dict[str, Any]:
    """Plan indexes -> database ids for the reference fields."""
    resolved = dict(values)
    for name, ids in refs.items():
        index = resolved.get(name)
        if index is not None:
            resolved[name] = ids[index]
    return resolved


def _create_each(
    container: Container,
    rows: Sequence[dict[str, Any]],
    create: Callable[..., Any],
    refs: Mapping[str, Sequence[int]],
    advance: Callable[[int], None],
) -> list[int]:
    ids: list[int] = []
    for batch in _batches(rows, _EVENTS_PER_COMMIT):
        with container.uow() as uow:
            created = [create(_resolve(values, refs), uow=uow) for values in batch]
            uow.commit()
        ids.extend(row.id for row in created)
        advance(len(batch))
    return ids


def _batches(rows: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def _backdate(
    container: Container,
    plan: DemoPlan,
    account_ids: list[int],
    contact_ids: list[int],
    lead_ids: list[int],
    opportunity_ids: list[int],
) -> None:
    """Set created_at/updated_at to the planned times (no event: nothing changed for users)."""
    targets: list[tuple[Any, list[int], Sequence[tuple[datetime, datetime]]]] = [
        (Account, account_ids, plan.account_times),
        (Contact, contact_ids, plan.contact_times),
        (Lead, lead_ids, plan.lead_times),
        (Opportunity, opportunity_ids, plan.opportunity_times),
    ]
    with container.uow() as uow:
        for model, ids, times in targets:
            statement = (
                update(model.__table__)
                .where(model.__table__.c.id == bindparam("row_id"))
                .values(created_at=bindparam("created"), updated_at=bindparam("updated"))
            )
            uow.session.execute(
                statement,
                [
                    {"row_id": row_id, "created": created, "updated": updated}
                    for row_id, (created, updated) in zip(ids, times, strict=True)
                ],
            )
        uow.commit()
