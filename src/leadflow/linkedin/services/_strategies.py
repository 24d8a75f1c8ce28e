"""The LinkedIn lead-matching strategy, and the shipped mappings and strategy (`seed`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from leadflow.db.uow import UnitOfWork, in_own_transaction
from leadflow.errors import Conflict, ErrorCode, NotFound, ValidationFailed
from leadflow.lib.clock import utcnow
from leadflow.linkedin.domain import DEFAULT_MAPPINGS
from leadflow.linkedin.models import LinkedInFieldMapping, LinkedInLeadStrategy
from leadflow.linkedin.services._connections import required_text
from leadflow.linkedin.services._forms import check_mapped, upsert_mapping
from leadflow.matching import services as matching
from leadflow.matching.models import MatchingStrategy

DEFAULT_STRATEGY_KEY = "linkedin_default"
DEFAULT_MATCHING_KEY = "linkedin_lead_email"


# --- the LinkedIn lead-matching strategy ----------------------------------------------


def list_strategies(session: Session) -> list[tuple[LinkedInLeadStrategy, MatchingStrategy]]:
    rows = session.execute(
        select(LinkedInLeadStrategy, MatchingStrategy)
        .join(MatchingStrategy, MatchingStrategy.id == LinkedInLeadStrategy.matching_strategy_id)
        .order_by(LinkedInLeadStrategy.id)
    )
    return [(strategy, fields) for strategy, fields in rows]


def get_strategy(session: Session, strategy_id: int) -> LinkedInLeadStrategy:
    row = session.get(LinkedInLeadStrategy, strategy_id)
    if row is None:
        raise NotFound(f"No LinkedIn strategy with id {strategy_id}", field="strategy_id")
    return row


def active_strategy(uow: UnitOfWork) -> LinkedInLeadStrategy:
    """The one active strategy; the shipped one again if its matching strategy was deleted."""
    row = uow.session.scalar(
        select(LinkedInLeadStrategy).where(LinkedInLeadStrategy.is_active.is_(True))
    )
    if row is None:
        seed_linkedin(uow)
        row = uow.session.scalar(
            select(LinkedInLeadStrategy).where(LinkedInLeadStrategy.is_active.is_(True))
        )
    assert row is not None
    return row


def create_strategy(data: Mapping[str, Any], *, uow: UnitOfWork) -> LinkedInLeadStrategy:
    """A LinkedIn lead-matching strategy over mapped lead fields; `activate` makes it
    the one active strategy."""
    name = required_text(data, "name", "A name", limit=180)
    fields = data.get("fields")
    fields_list = list(fields) if isinstance(fields, list) else fields
    fields_checked = matching._checked_fields(uow.registry, "lead", fields_list)
    check_mapped(uow, fields_checked)
    strategy = matching.create_strategy(
        {"name": f"LinkedIn: {name}", "target": "lead", "fields": fields_checked}, uow=uow
    )
    now = utcnow()
    row = LinkedInLeadStrategy(
        name=name,
        matching_strategy_id=strategy.id,
        is_active=False,
        always_create_lead=bool(data.get("always_create_lead")),
        enable_contact_creation=bool(data.get("enable_contact_creation", True)),
        created_at=now,
        updated_at=now,
    )
    uow.session.add(row)
    uow.session.flush()
    if data.get("activate"):
        activate_strategy(row.id, uow=uow)
    return row


def update_strategy(
    strategy_id: int, changes: Mapping[str, Any], *, uow: UnitOfWork
) -> LinkedInLeadStrategy:
    """Rename, change fields or the two switches; `is_active: false` is refused (activate
    another one instead)."""
    row = get_strategy(uow.session, strategy_id)
    if "name" in changes:
        row.name = required_text(changes, "name", "A name", limit=180)
    if "fields" in changes:
        checked = matching._checked_fields(uow.registry, "lead", changes["fields"])
        check_mapped(uow, checked)
        matching.update_strategy(row.matching_strategy_id, {"fields": checked}, uow=uow)
    for switch in ("always_create_lead", "enable_contact_creation"):
        if changes.get(switch) is not None:
            setattr(row, switch, bool(changes[switch]))
    if changes.get("is_active") is True:
        activate_strategy(row.id, uow=uow)
    elif changes.get("is_active") is False and row.is_active:
        raise ValidationFailed(
            "One LinkedIn strategy stays active; activate another one instead",
            field="is_active",
            code=ErrorCode.ONE_MUST_STAY,
        )
    row.updated_at = utcnow()
    uow.session.flush()
    return row


def activate_strategy(strategy_id: int, *, uow: UnitOfWork) -> LinkedInLeadStrategy:
    """Make this the active strategy; the one active before is deactivated."""
    row = get_strategy(uow.session, strategy_id)
    fields = matching.get_strategy(uow.session, row.matching_strategy_id).fields
    check_mapped(uow, fields)
    uow.session.execute(
        update(LinkedInLeadStrategy)
        .where(LinkedInLeadStrategy.id != row.id, LinkedInLeadStrategy.is_active.is_(True))
        .values(is_active=False, updated_at=utcnow())
        .execution_options(synchronize_session="fetch")
    )
    uow.session.flush()
    row.is_active = True
    uow.session.flush()
    return row


def delete_strategy(strategy_id: int, *, uow: UnitOfWork) -> None:
    """Delete an inactive strategy (and its matching strategy); the active one stays."""
    row = get_strategy(uow.session, strategy_id)
    if row.is_active:
        raise Conflict(
            "The active LinkedIn strategy cannot be deleted; activate another one first",
            field="id",
            code=ErrorCode.ONE_MUST_STAY,
        )
    matching_id = row.matching_strategy_id
    uow.session.delete(row)
    uow.session.flush()
    matching.delete_strategy(matching_id, uow=uow)


do_create_strategy = in_own_transaction(create_strategy)
do_update_strategy = in_own_transaction(update_strategy)
do_activate_strategy = in_own_transaction(activate_strategy)
do_delete_strategy = in_own_transaction(delete_strategy)


def strategy_public(row: LinkedInLeadStrategy, fields: MatchingStrategy) -> dict[str, Any]:
    return {
        "id": row.id,
        "name": row.name,
        "fields": list(fields.fields),
        "matching_strategy_id": row.matching_strategy_id,
        "is_active": row.is_active,
        "always_create_lead": row.always_create_lead,
        "enable_contact_creation": row.enable_contact_creation,
    }


# --- seeding --------------------------------------------------------------------------


def seed_linkedin(uow: UnitOfWork) -> None:
    """The shipped predefined mappings and the default strategy (email), created once;
    an active strategy is never replaced."""
    session = uow.session
    if not session.scalar(select(LinkedInFieldMapping.id).limit(1)):
        for kind, target in DEFAULT_MAPPINGS.items():
            upsert_mapping(session, f"predefined:{kind.value}", target, predefined=kind.value)
        session.flush()
    if session.scalar(select(LinkedInLeadStrategy.id).where(LinkedInLeadStrategy.is_active)):
        return
    strategy = matching.strategy_by_seed_key(session, DEFAULT_MATCHING_KEY)
    if strategy is None:
        now = utcnow()
        strategy = MatchingStrategy(
            name="Email (LinkedIn leads)",
            target="lead",
            fields=["email"],
            is_default=False,
            # A person's other leads share their email: not duplicates of each other.
            lists_duplicates=False,
            seed_key=DEFAULT_MATCHING_KEY,
            created_at=now,
            updated_at=now,
        )
        session.add(strategy)
        session.flush()
    session.execute(
        delete(LinkedInLeadStrategy).where(LinkedInLeadStrategy.seed_key == DEFAULT_STRATEGY_KEY)
    )
    now = utcnow()
    session.add(
        LinkedInLeadStrategy(
            name="Email",
            matching_strategy_id=strategy.id,
            is_active=True,
            always_create_lead=False,
            enable_contact_creation=True,
            seed_key=DEFAULT_STRATEGY_KEY,
            created_at=now,
            updated_at=now,
        )
    )
    session.flush()
