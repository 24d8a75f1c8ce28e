"""One accepted submission on its way through a processing batch."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from leadflow.capture.domain import UpdateMode, mapped_values, submission_country
from leadflow.capture.models import MarketingForm
from leadflow.capture.services._forms import form_fields
from leadflow.capture.services._submissions import check_submission
from leadflow.matching.domain import MatchOutcome
from leadflow.records.crud import NO_CONTEXT, WriteContext
from leadflow.registry.domain import Registry


@dataclass
class SubmissionWork:
    """One accepted submission on its way through the batch."""

    id: int
    form: MarketingForm
    payload: dict[str, Any]
    known_contact_id: int | None
    mode: UpdateMode = UpdateMode.CONTACTS_AND_LEADS
    contact_values: dict[str, Any] = field(default_factory=dict)
    lead_values: dict[str, Any] = field(default_factory=dict)
    context: WriteContext = NO_CONTEXT
    contact_id: int | None = None
    lead_id: int | None = None
    contact_created: bool = False
    lead_created: bool = False
    contact_outcome: MatchOutcome | None = None
    lead_outcome: MatchOutcome | None = None
    errors: list[dict[str, str]] = field(default_factory=list)


def prepare_work(work: SubmissionWork, registry: Registry) -> None:
    """The values the work writes, read from its payload (or the errors that fail it)."""
    form = work.form
    values, errors = check_submission(form, work.payload, registry)
    if errors:
        work.errors = errors
        return
    fields = form_fields(form)
    work.mode = UpdateMode(form.update_mode)
    work.contact_values = mapped_values(fields, values, "contact")
    work.lead_values = mapped_values(fields, values, "lead")
    if form.consent_field and values.get(form.consent_field):
        work.contact_values["consent"] = "marketing"
    # Phones typed without a country code are read in the submitter's country.
    work.context = WriteContext(country=submission_country(fields, values))


def outcome_json(outcome: MatchOutcome | None) -> dict[str, Any] | None:
    """A match outcome as the submission row stores it."""
    if outcome is None:
        return None
    return {
        "record_id": outcome.record_id,
        "created": outcome.created,
        "strategy_id": outcome.strategy_id,
        "strategy_name": outcome.strategy_name,
        "candidates": outcome.candidates,
        "reason": outcome.reason,
    }
