"""Discovered Lead Gen Forms and where their answers go (predefined and per-question
mappings)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from leadflow.db.uow import UnitOfWork, in_own_transaction
from leadflow.errors import ErrorCode, NotFound, ValidationFailed
from leadflow.lib.clock import utcnow
from leadflow.linkedin.domain import FormSpec, Mappings, PredefinedField, Question
from leadflow.linkedin.models import LinkedInFieldMapping, LinkedInForm, LinkedInLeadStrategy
from leadflow.matching import services as matching
from leadflow.registry.domain import FieldDef, FieldType, Registry

# The lead fields answers may go to: text-like, writable, not kept by the sync itself.
_MAPPABLE_TYPES = frozenset(
    {FieldType.TEXT, FieldType.LONG_TEXT, FieldType.EMAIL, FieldType.PHONE, FieldType.URL}
)
_SYNC_OWNED = frozenset({"source", "status", "status_reason", "campaign"})


# --- forms ----------------------------------------------------------------------------


def list_forms(session: Session, connection_id: int) -> list[LinkedInForm]:
    return list(
        session.scalars(
            select(LinkedInForm)
            .where(LinkedInForm.connection_id == connection_id)
            .order_by(LinkedInForm.name, LinkedInForm.id)
        )
    )


def get_form(session: Session, form_id: int) -> LinkedInForm:
    row = session.get(LinkedInForm, form_id)
    if row is None:
        raise NotFound(f"No LinkedIn form with id {form_id}", field="form_id")
    return row


def find_form(session: Session, connection_id: int, linkedin_id: str) -> LinkedInForm | None:
    return session.scalar(
        select(LinkedInForm).where(
            LinkedInForm.connection_id == connection_id, LinkedInForm.linkedin_id == linkedin_id
        )
    )


def save_forms(connection_id: int, specs: list[FormSpec], *, uow: UnitOfWork) -> int:
    """Insert or refresh discovered forms (their questions as LinkedIn now has them)."""
    now = utcnow()
    for spec in specs:
        row = find_form(uow.session, connection_id, spec.linkedin_id)
        if row is None:
            row = LinkedInForm(connection_id=connection_id, linkedin_id=spec.linkedin_id)
            row.discovered_at = now
            uow.session.add(row)
        row.name = spec.name
        row.state = spec.state
        row.locale = spec.locale
        row.questions = [question.to_json() for question in spec.questions]
        row.hidden_fields = spec.hidden_fields
        row.consents = spec.consents
        row.updated_at = now
    uow.session.flush()
    return len(specs)


def form_questions(form: LinkedInForm) -> list[Question]:
    return [Question.from_json(item) for item in form.questions or []]


def form_public(form: LinkedInForm, mappings: Mappings) -> dict[str, Any]:
    return {
        "id": form.id,
        "connection_id": form.connection_id,
        "linkedin_id": form.linkedin_id,
        "name": form.name,
        "state": form.state,
        "locale": form.locale,
        "questions": [
            {
                **question.to_json(),
                "lead_field": mappings.target(question),
                "mapped_by": (
                    "question"
                    if question.question_id in mappings.by_question
                    else ("predefined" if mappings.target(question) else None)
                ),
            }
            for question in form_questions(form)
        ],
        "hidden_fields": form.hidden_fields,
        "consents": form.consents,
    }


# --- mappings -------------------------------------------------------------------------


def mappable_fields(registry: Registry) -> list[FieldDef]:
    """The lead fields an answer may be mapped to (custom text fields included)."""
    return [
        item
        for item in registry.fields_of("lead")
        if item.writable and item.type in _MAPPABLE_TYPES and item.name not in _SYNC_OWNED
    ]


def _checked_target(registry: Registry, lead_field: Any, field: str) -> str:
    names = {item.name for item in mappable_fields(registry)}
    if not isinstance(lead_field, str) or lead_field not in names:
        raise ValidationFailed(
            f"No lead field named {lead_field!r} can take LinkedIn answers",
            code=ErrorCode.UNKNOWN_FIELD,
            field=field,
        )
    return lead_field


def predefined_mappings(session: Session) -> dict[str, str]:
    rows = session.execute(
        select(LinkedInFieldMapping.predefined_field, LinkedInFieldMapping.lead_field).where(
            LinkedInFieldMapping.form_id.is_(None)
        )
    )
    return {str(kind): target for kind, target in rows if kind}


def mappings_for(session: Session, form_id: int | None) -> Mappings:
    """The org-wide predefined mappings with this form's question mappings over them."""
    by_question: dict[str, str] = {}
    if form_id is not None:
        rows = session.execute(
            select(LinkedInFieldMapping.question_id, LinkedInFieldMapping.lead_field).where(
                LinkedInFieldMapping.form_id == form_id
            )
        )
        by_question = {str(question): target for question, target in rows if question}
    return Mappings(predefined_mappings(session), by_question)


def upsert_mapping(
    session: Session,
    scope: str,
    lead_field: str | None,
    *,
    predefined: str | None = None,
    form_id: int | None = None,
    question_id: str | None = None,
) -> None:
    row = session.scalar(select(LinkedInFieldMapping).where(LinkedInFieldMapping.scope == scope))
    now = utcnow()
    if lead_field is None:
        if row is not None:
            session.delete(row)
        return
    if row is None:
        row = LinkedInFieldMapping(
            scope=scope,
            predefined_field=predefined,
            form_id=form_id,
            question_id=question_id,
            created_at=now,
        )
        session.add(row)
    row.lead_field = lead_field
    row.updated_at = now


def set_predefined_mappings(
    changes: Mapping[str, str | None], *, uow: UnitOfWork
) -> dict[str, str]:
    """Map predefined field types to lead fields (None or "" unmaps)."""
    for kind, target in changes.items():
        try:
            PredefinedField(kind)
        except ValueError:
            raise ValidationFailed(
                f"{kind!r} is not a LinkedIn predefined field",
                field=f"mappings.{kind}",
                code=ErrorCode.NOT_A_CHOICE,
            ) from None
        checked = _checked_target(uow.registry, target, f"mappings.{kind}") if target else None
        upsert_mapping(uow.session, f"predefined:{kind}", checked, predefined=kind)
    uow.session.flush()
    _check_active_strategy_mapped(uow)
    return predefined_mappings(uow.session)


def set_form_mappings(
    form_id: int, changes: Mapping[str, str | None], *, uow: UnitOfWork
) -> Mappings:
    """Map this form's questions, by LinkedIn's question id, to lead fields."""
    form = get_form(uow.session, form_id)
    known = {question.question_id for question in form_questions(form)}
    for question_id, target in changes.items():
        if question_id not in known:
            raise ValidationFailed(
                f"The form has no question {question_id}",
                field=f"mappings.{question_id}",
                code=ErrorCode.REFERENCE_UNKNOWN,
            )
        checked = (
            _checked_target(uow.registry, target, f"mappings.{question_id}") if target else None
        )
        upsert_mapping(
            uow.session,
            f"form:{form.id}:{question_id}",
            checked,
            form_id=form.id,
            question_id=question_id,
        )
    uow.session.flush()
    return mappings_for(uow.session, form.id)


do_set_predefined_mappings = in_own_transaction(set_predefined_mappings)
do_set_form_mappings = in_own_transaction(set_form_mappings)


def mapped_fields(session: Session) -> set[str]:
    return set(session.scalars(select(LinkedInFieldMapping.lead_field).distinct()))


def check_mapped(uow: UnitOfWork, fields: list[str]) -> None:
    """Only mapped lead fields can be matched on: an unmapped one never has a value."""
    mapped = mapped_fields(uow.session)
    unmapped = [name for name in fields if name not in mapped]
    if unmapped:
        raise ValidationFailed(
            f"Only mapped LinkedIn fields can be matched on; map {', '.join(unmapped)} first",
            field="fields",
            code=ErrorCode.MAPPING_INVALID,
        )


def _check_active_strategy_mapped(uow: UnitOfWork) -> None:
    row = uow.session.scalar(
        select(LinkedInLeadStrategy).where(LinkedInLeadStrategy.is_active.is_(True))
    )
    if row is not None:
        fields = matching.get_strategy(uow.session, row.matching_strategy_id).fields
        try:
            check_mapped(uow, fields)
        except ValidationFailed:
            raise ValidationFailed(
                "The active LinkedIn lead-matching strategy matches on "
                f"{', '.join(fields)}: keep those mapped",
                field="mappings",
                code=ErrorCode.MAPPING_INVALID,
            ) from None
