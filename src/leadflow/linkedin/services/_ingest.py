"""Storing form responses once and turning them into contacts and leads.

A response is claimed by inserting its row with LinkedIn's id (unique): whoever
inserts first processes it, a repeat (a webhook retry, the overlapping pull, a
second worker) inserts nothing and counts as skipped. Processing goes through
capture's matching (`match_contact`, `match_lead`): the same normalised keys and
the same race-free claims as a landing-page submission.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Table, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from leadflow.db.uow import UnitOfWork
from leadflow.errors import LeadflowError
from leadflow.leads.domain import LeadStatus
from leadflow.leads.models import Lead
from leadflow.leads.services import delete_lead
from leadflow.lib.clock import utcnow
from leadflow.linkedin.domain import (
    Mappings,
    Outcome,
    ResponseSpec,
    campaign_label,
    parse_response,
    resolve,
)
from leadflow.linkedin.models import (
    LinkedInCampaign,
    LinkedInConnection,
    LinkedInForm,
    LinkedInLeadStrategy,
    LinkedInResponse,
)
from leadflow.linkedin.services._forms import find_form, form_questions, mappings_for
from leadflow.linkedin.services._records import write_records
from leadflow.linkedin.services._strategies import active_strategy

_RESPONSES = cast(Table, LinkedInResponse.__table__)


@dataclass
class _Batch:
    """What every response of a batch shares, read once: the strategy, each form and its
    mappings, the campaigns' names."""

    strategy: LinkedInLeadStrategy
    forms: dict[str, LinkedInForm | None]
    mappings: dict[int, Mappings]
    campaigns: dict[str, str]


@dataclass
class Counts:
    created: int = 0
    updated: int = 0
    skipped: int = 0
    failed: int = 0
    deleted: int = 0

    def add(self, outcome: Outcome) -> None:
        setattr(self, outcome.value, getattr(self, outcome.value) + 1)

    def merge(self, other: Counts) -> None:
        for name in ("created", "updated", "skipped", "failed", "deleted"):
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def as_dict(self) -> dict[str, int]:
        return {
            "created": self.created,
            "updated": self.updated,
            "skipped": self.skipped,
            "failed": self.failed,
            "deleted": self.deleted,
        }


def add_counts(session: Session, connection_id: int, counts: Counts) -> None:
    """Add a batch's counts to the connection's in one statement."""
    table = LinkedInConnection
    session.execute(
        update(table)
        .where(table.id == connection_id)
        .values(
            created_count=table.created_count + counts.created,
            updated_count=table.updated_count + counts.updated,
            skipped_count=table.skipped_count + counts.skipped,
            failed_count=table.failed_count + counts.failed,
            deleted_count=table.deleted_count + counts.deleted,
            updated_at=utcnow(),
        )
        .execution_options(synchronize_session=False)
    )


def _claim(
    session: Session, connection_id: int, spec: ResponseSpec, raw: Mapping[str, Any], via: str
) -> int | None:
    insert_fn = (
        postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    )
    statement = (
        insert_fn(_RESPONSES)
        .values(
            connection_id=connection_id,
            response_id=spec.response_id,
            form_linkedin_id=spec.form_linkedin_id,
            lead_type=spec.lead_type,
            submitted_at=spec.submitted_at,
            test_lead=spec.test_lead,
            campaign_urn=spec.campaign_urn,
            outcome=Outcome.SKIPPED.value,
            lead_values={},
            answers=[],
            consents=[],
            attribution={},
            raw=dict(raw),
            lead_created=False,
            contact_created=False,
            received_via=via,
            created_at=utcnow(),
        )
        .on_conflict_do_nothing(index_elements=["response_id"])
        .returning(_RESPONSES.c.id)
    )
    return session.execute(statement).scalar()


def _claim_failed(session: Session, spec: ResponseSpec, raw: Mapping[str, Any]) -> int | None:
    """A stored response that failed (its form was unreadable, a value was refused) is
    processed again when it is read again; a conditional UPDATE lets one writer do it."""
    return session.execute(
        update(_RESPONSES)
        .where(
            _RESPONSES.c.response_id == spec.response_id,
            _RESPONSES.c.outcome == Outcome.FAILED.value,
        )
        .values(outcome=Outcome.SKIPPED.value, error=None, raw=dict(raw))
        .returning(_RESPONSES.c.id)
    ).scalar()


def ingest_responses(
    connection_id: int,
    elements: Sequence[Mapping[str, Any]],
    *,
    via: str,
    uow: UnitOfWork,
) -> Counts:
    """Store each response once and make or update its contact and lead; a bad one is
    stored as failed and never stops the rest. Adds the counts to the connection."""
    session = uow.session
    connection = session.get(LinkedInConnection, connection_id)
    counts = Counts()
    if connection is None:
        return counts
    batch = _Batch(active_strategy(uow), {}, {}, campaign_names(session, connection_id))
    for element in elements:
        try:
            spec = parse_response(element)
        except ValueError:
            counts.add(Outcome.FAILED)
            continue
        row_id = _claim(session, connection_id, spec, element, via)
        if row_id is None:
            row_id = _claim_failed(session, spec, element)
        if row_id is None:
            counts.add(Outcome.SKIPPED)
            continue
        key = spec.form_linkedin_id or ""
        if key not in batch.forms:
            batch.forms[key] = find_form(session, connection_id, key) if key else None
        outcome = _process(uow, connection, batch, batch.forms[key], spec, row_id)
        counts.add(outcome)
    add_counts(session, connection_id, counts)
    return counts


def _process(
    uow: UnitOfWork,
    connection: LinkedInConnection,
    batch: _Batch,
    form: LinkedInForm | None,
    spec: ResponseSpec,
    row_id: int,
) -> Outcome:
    session = uow.session
    row = session.get(LinkedInResponse, row_id)
    assert row is not None
    if form is None:
        row.outcome = Outcome.FAILED.value
        row.error = f"The form {spec.form_linkedin_id} is not known (not discovered yet)"
        session.flush()
        return Outcome.FAILED
    row.form_id = form.id
    if form.id not in batch.mappings:
        batch.mappings[form.id] = mappings_for(session, form.id)
    resolved = resolve(
        form_questions(form),
        form.consents or [],
        form.hidden_fields or [],
        spec,
        batch.mappings[form.id],
    )
    row.lead_values = dict(resolved.lead_values)
    row.answers = resolved.answers
    row.consents = resolved.consents
    row.attribution = {**resolved.attribution, "form": form.name}
    if spec.test_lead and not connection.include_test_leads:
        row.outcome = Outcome.SKIPPED.value
        row.error = "A test lead: kept, not synced (the connection leaves test leads out)"
        session.flush()
        return Outcome.SKIPPED
    # A savepoint per response: one that fails leaves no half-written records behind,
    # and the events it published are taken back with them.
    try:
        with uow.savepoint():
            campaign = batch.campaigns.get(spec.campaign_urn or "") or campaign_label(
                spec.campaign_urn
            )
            outcome = write_records(uow, batch.strategy, campaign, form, spec, resolved, row)
    except LeadflowError as exc:
        row = session.get(LinkedInResponse, row_id)
        assert row is not None
        row.outcome = Outcome.FAILED.value
        row.error = f"{exc.message}" + (f" ({exc.field})" if exc.field else "")
        row.lead_id = None
        row.contact_id = None
        session.flush()
        return Outcome.FAILED
    row.outcome = outcome.value
    session.flush()
    return outcome


def campaign_names(session: Session, connection_id: int) -> dict[str, str]:
    rows = session.execute(
        select(LinkedInCampaign.urn, LinkedInCampaign.name).where(
            LinkedInCampaign.connection_id == connection_id
        )
    )
    return {urn: name for urn, name in rows}


def save_campaigns(connection_id: int, names: Mapping[str, str], *, uow: UnitOfWork) -> None:
    """Remember campaigns' names (fetched from LinkedIn) for the leads they bring."""
    known = campaign_names(uow.session, connection_id)
    for urn, name in names.items():
        if urn not in known:
            uow.session.add(
                LinkedInCampaign(
                    connection_id=connection_id, urn=urn[:200], name=name[:200], fetched_at=utcnow()
                )
            )
    uow.session.flush()


def mark_deleted(connection_id: int, response_id: str, *, uow: UnitOfWork) -> bool:
    """LinkedIn deleted the response (DELETED): its personal data is erased, a lead it
    created (and no other response uses) is deleted, and a pull never brings it back.
    False when it was deleted already."""
    session = uow.session
    row = session.scalar(
        select(LinkedInResponse).where(LinkedInResponse.response_id == response_id)
    )
    now = utcnow()
    if row is None:
        # A tombstone: the response id is taken, so no later read creates it.
        session.add(
            LinkedInResponse(
                connection_id=connection_id,
                response_id=response_id,
                outcome=Outcome.DELETED.value,
                lead_values={},
                answers=[],
                consents=[],
                attribution={},
                raw=None,
                received_via="webhook",
                created_at=now,
                deleted_at=now,
            )
        )
        session.flush()
        add_counts(session, connection_id, Counts(deleted=1))
        return True
    if row.outcome == Outcome.DELETED.value:
        return False
    lead_id = row.lead_id if row.lead_created else None
    row.outcome = Outcome.DELETED.value
    row.raw = None
    row.answers = []
    row.lead_values = {}
    row.consents = []
    row.deleted_at = now
    session.flush()
    if lead_id is not None:
        others = session.scalar(
            select(LinkedInResponse.id).where(
                LinkedInResponse.lead_id == lead_id,
                LinkedInResponse.id != row.id,
                LinkedInResponse.outcome != Outcome.DELETED.value,
            )
        )
        lead = session.get(Lead, lead_id)
        if others is None and lead is not None and lead.status != LeadStatus.QUALIFIED.value:
            row.lead_id = None
            session.flush()
            delete_lead(lead_id, uow=uow)
    add_counts(session, row.connection_id, Counts(deleted=1))
    return True
