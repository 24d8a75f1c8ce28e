"""Form responses read from the API and resolved into lead fields by the mappings."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from leadflow.linkedin.domain._forms import Question

_FORM_URN = re.compile(r"urn:li:leadGenForm:(\d+)")


# --- responses ------------------------------------------------------------------------


@dataclass(frozen=True)
class ResponseSpec:
    response_id: str
    form_linkedin_id: str | None
    lead_type: str | None
    submitted_at: datetime | None
    test_lead: bool
    campaign_urn: str | None
    creative_urn: str | None
    # question id -> the typed text, or the chosen option ids
    answers: dict[str, str | list[str]]
    # consent id -> accepted
    consents: dict[str, bool]
    hidden_fields: dict[str, str]


def form_id_of(urn: Any) -> str | None:
    """`urn:li:versionedLeadGenForm:(urn:li:leadGenForm:123,1)` -> `123`."""
    if not isinstance(urn, str):
        return None
    found = _FORM_URN.search(urn)
    return found.group(1) if found else None


def from_epoch_ms(value: Any) -> datetime | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return datetime.fromtimestamp(value / 1000, tz=UTC)


def epoch_ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def parse_response(element: Mapping[str, Any]) -> ResponseSpec:
    """A leadFormResponses element read into a ResponseSpec; ValueError without an id."""
    response_id = element.get("id")
    if response_id in (None, ""):
        raise ValueError("a form response without an id")
    form_response = element.get("formResponse") or {}
    answers: dict[str, str | list[str]] = {}
    for answer in form_response.get("answers") or []:
        details = answer.get("answerDetails") or {}
        question_id = str(answer.get("questionId"))
        text_answer = details.get("textQuestionAnswer")
        choice = details.get("multipleChoiceAnswer")
        if isinstance(text_answer, Mapping):
            answers[question_id] = str(text_answer.get("answer") or "")
        elif isinstance(choice, Mapping):
            answers[question_id] = [str(option) for option in choice.get("options") or []]
    consents = {
        str(item.get("consentId")): bool(item.get("accepted"))
        for item in form_response.get("consentResponses") or []
    }
    hidden = {
        str(item.get("name")): str(item.get("value") or "")
        for item in form_response.get("hiddenFields") or []
        if item.get("name")
    }
    metadata = (element.get("leadMetadata") or {}).get("sponsoredLeadMetadata") or {}
    associated = element.get("associatedEntity") or {}
    return ResponseSpec(
        response_id=str(response_id),
        form_linkedin_id=form_id_of(element.get("versionedLeadGenFormUrn")),
        lead_type=element.get("leadType"),
        submitted_at=from_epoch_ms(element.get("submittedAt")),
        test_lead=bool(element.get("testLead")),
        campaign_urn=metadata.get("campaign"),
        creative_urn=associated.get("associatedCreative"),
        answers=answers,
        consents=consents,
        hidden_fields=hidden,
    )


@dataclass(frozen=True)
class Mappings:
    """Predefined type -> lead field (org-wide) and question id -> lead field (this form)."""

    predefined: Mapping[str, str]
    by_question: Mapping[str, str] = field(default_factory=dict)

    def target(self, question: Question) -> str | None:
        if question.question_id in self.by_question:
            return self.by_question[question.question_id]
        if question.predefined_field:
            return self.predefined.get(question.predefined_field)
        return None


@dataclass(frozen=True)
class Resolved:
    """A response read through its form and the mappings."""

    lead_values: dict[str, str]
    answers: list[dict[str, Any]]
    consents: list[dict[str, Any]]
    attribution: dict[str, Any]

    @property
    def consent_given(self) -> bool:
        return any(item["accepted"] for item in self.consents)


def answer_text(question: Question, raw: str | list[str]) -> str:
    """The answer as text: choice option ids resolved to their labels."""
    if isinstance(raw, list):
        return ", ".join(question.options.get(option, option) for option in raw)
    return raw.strip()


def resolve(
    form_questions: Sequence[Question],
    form_consents: Sequence[Mapping[str, Any]],
    form_hidden: Sequence[Mapping[str, str]],
    response: ResponseSpec,
    mappings: Mappings,
) -> Resolved:
    """Answers to lead values by the mappings (only mapped ones), the answers and
    consents labelled, hidden fields and the campaign kept as attribution.

    Two questions mapped to one field (EMAIL and WORK_EMAIL): the first answered wins.
    """
    lead_values: dict[str, str] = {}
    answers: list[dict[str, Any]] = []
    by_id = {question.question_id: question for question in form_questions}
    for question_id, raw in response.answers.items():
        question = by_id.get(question_id) or Question(question_id, "", "", None, "text")
        value = answer_text(question, raw)
        target = mappings.target(question)
        answers.append(
            {
                "question_id": question_id,
                "label": question.label or question.name or f"Question {question_id}",
                "predefined_field": question.predefined_field,
                "value": value,
                "lead_field": target,
            }
        )
        if target and value and target not in lead_values:
            lead_values[target] = value
    consent_labels = {str(item.get("id")): str(item.get("label") or "") for item in form_consents}
    consents = [
        {"id": consent_id, "label": consent_labels.get(consent_id, ""), "accepted": accepted}
        for consent_id, accepted in response.consents.items()
    ]
    hidden = {str(item["name"]): str(item.get("value") or "") for item in form_hidden}
    hidden.update(response.hidden_fields)
    attribution: dict[str, Any] = {"hidden_fields": hidden}
    if response.campaign_urn:
        attribution["campaign"] = response.campaign_urn
    if response.creative_urn:
        attribution["creative"] = response.creative_urn
    return Resolved(lead_values, answers, consents, attribution)


def campaign_label(campaign_urn: str | None) -> str | None:
    """`urn:li:sponsoredCampaign:123` -> `LinkedIn campaign 123`."""
    if not campaign_urn:
        return None
    return f"LinkedIn campaign {campaign_urn.rsplit(':', 1)[-1]}"[:200]
