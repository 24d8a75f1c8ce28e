"""Pure LinkedIn rules: the Lead Sync API's shapes read into values, answers mapped to
lead fields, webhook challenges and signatures, sync windows. No I/O, no clock."""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any
from urllib.parse import quote, urlencode

# LinkedIn keeps leads for 365 days: a backfill never reaches further back.
MAX_BACKFILL_DAYS = 365
# The periodic pull re-reads this much before the last finished window, so a
# response LinkedIn indexed late (or whose notification was missed) is still found.
PULL_OVERLAP = timedelta(hours=2)
PAGE_SIZE = 50
DEFAULT_API_VERSION = "202509"
RESTLI_PROTOCOL_VERSION = "2.0.0"
DEFAULT_BASE_URL = "https://api.linkedin.com"
OWNER_PATTERN = re.compile(r"^urn:li:(sponsoredAccount|organization):\d{1,20}$")
VERSION_PATTERN = re.compile(r"^20\d{2}(0[1-9]|1[0-2])$")
_FORM_URN = re.compile(r"urn:li:leadGenForm:(\d+)")


class PredefinedField(StrEnum):
    """LinkedIn's predefined question types: the same in every locale."""

    FIRST_NAME = "FIRST_NAME"
    LAST_NAME = "LAST_NAME"
    EMAIL = "EMAIL"
    WORK_EMAIL = "WORK_EMAIL"
    PHONE_NUMBER = "PHONE_NUMBER"
    WORK_PHONE_NUMBER = "WORK_PHONE_NUMBER"
    COMPANY_NAME = "COMPANY_NAME"
    JOB_TITLE = "JOB_TITLE"
    JOB_FUNCTION = "JOB_FUNCTION"
    SENIORITY = "SENIORITY"
    COMPANY_SIZE = "COMPANY_SIZE"
    INDUSTRY = "INDUSTRY"
    CITY = "CITY"
    STATE = "STATE"
    COUNTRY = "COUNTRY"
    ZIP_CODE = "ZIP_CODE"
    LINKEDIN_PROFILE_LINK = "LINKEDIN_PROFILE_LINK"
    DEGREE = "DEGREE"
    FIELD_OF_STUDY = "FIELD_OF_STUDY"
    SCHOOL = "SCHOOL"
    START_DATE = "START_DATE"
    GRADUATION_DATE = "GRADUATION_DATE"
    GENDER = "GENDER"


PREDEFINED_LABELS: dict[PredefinedField, str] = {
    item: item.value.replace("_", " ").capitalize().replace("Linkedin", "LinkedIn")
    for item in PredefinedField
}

# Shipped mappings; the others are offered but left unmapped until someone maps them.
DEFAULT_MAPPINGS: dict[PredefinedField, str] = {
    PredefinedField.FIRST_NAME: "first_name",
    PredefinedField.LAST_NAME: "last_name",
    PredefinedField.EMAIL: "email",
    PredefinedField.WORK_EMAIL: "email",
    PredefinedField.PHONE_NUMBER: "phone",
    PredefinedField.WORK_PHONE_NUMBER: "phone",
    PredefinedField.COMPANY_NAME: "company_name",
    PredefinedField.JOB_TITLE: "job_title",
}

# Lead fields a LinkedIn lead copies onto its new or matched contact.
CONTACT_FIELDS = ("email", "first_name", "last_name", "phone", "job_title", "country", "city")


class ConnectionStatus(StrEnum):
    NEW = "new"
    SYNCING = "syncing"
    OK = "ok"
    TOKEN_EXPIRED = "token_expired"
    THROTTLED = "throttled"
    ERROR = "error"


class Outcome(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    SKIPPED = "skipped"
    FAILED = "failed"
    DELETED = "deleted"


class SyncMode(StrEnum):
    BACKFILL = "backfill"
    PULL = "pull"


class LeadAction(StrEnum):
    CREATED = "CREATED"
    DELETED = "DELETED"


# --- forms ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Question:
    question_id: str
    name: str
    label: str
    predefined_field: str | None
    kind: str  # text | multiple_choice
    options: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "question_id": self.question_id,
            "name": self.name,
            "label": self.label,
            "predefined_field": self.predefined_field,
            "kind": self.kind,
            "options": dict(self.options),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Question:
        return cls(
            question_id=str(data["question_id"]),
            name=str(data.get("name") or ""),
            label=str(data.get("label") or ""),
            predefined_field=data.get("predefined_field"),
            kind=str(data.get("kind") or "text"),
            options={str(key): str(value) for key, value in (data.get("options") or {}).items()},
        )


@dataclass(frozen=True)
class FormSpec:
    linkedin_id: str
    name: str
    state: str | None
    locale: str | None
    questions: list[Question]
    hidden_fields: list[dict[str, str]]
    consents: list[dict[str, Any]]


def _locale_key(locale: Any) -> str | None:
    if isinstance(locale, Mapping) and locale.get("language"):
        country = locale.get("country")
        return f"{locale['language']}_{country}" if country else str(locale["language"])
    return None


def localized(value: Any, locale: str | None = None) -> str:
    """A MultiLocaleString's text: the form's locale, the preferred one, else the first."""
    if isinstance(value, str):
        return value
    if not isinstance(value, Mapping):
        return ""
    texts = value.get("localized")
    if not isinstance(texts, Mapping) or not texts:
        return ""
    for key in (locale, _locale_key(value.get("preferredLocale"))):
        if key and key in texts:
            return str(texts[key])
    return str(next(iter(texts.values())))


def parse_form(element: Mapping[str, Any]) -> FormSpec:
    """A leadForms element read into a FormSpec; raises ValueError when it has no id."""
    if element.get("id") is None:
        raise ValueError("a lead form without an id")
    locale = _locale_key(element.get("creationLocale"))
    content = element.get("content") or {}
    questions: list[Question] = []
    for item in content.get("questions") or []:
        details = item.get("questionDetails") or {}
        choice = details.get("multipleChoiceQuestionDetails")
        options: dict[str, str] = {}
        if isinstance(choice, Mapping):
            for option in choice.get("options") or []:
                options[str(option.get("id"))] = localized(option.get("text"), locale)
        predefined = item.get("predefinedField")
        questions.append(
            Question(
                question_id=str(item.get("questionId")),
                name=str(item.get("name") or ""),
                label=localized(item.get("question"), locale) or str(item.get("name") or ""),
                predefined_field=str(predefined) if predefined else None,
                kind="multiple_choice" if choice is not None else "text",
                options=options,
            )
        )
    hidden = [
        {"name": str(item.get("name")), "value": str(item.get("value") or "")}
        for item in content.get("hiddenFields") or []
        if item.get("name")
    ]
    legal = content.get("legalInfo") or {}
    consents = [
        {
            "id": str(item.get("id")),
            "label": localized(item.get("consent"), locale),
            "required": bool(item.get("required")),
        }
        for item in legal.get("consents") or []
    ]
    return FormSpec(
        linkedin_id=str(element["id"]),
        name=str(element.get("name") or f"LinkedIn form {element['id']}")[:300],
        state=str(element["state"]) if element.get("state") else None,
        locale=locale,
        questions=questions,
        hidden_fields=hidden,
        consents=consents,
    )


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


# --- webhooks -------------------------------------------------------------------------


def challenge_response(client_secret: str, challenge_code: str) -> str:
    """Hex HMAC-SHA256 of the challenge code keyed with the app's client secret."""
    return hmac.new(client_secret.encode(), challenge_code.encode(), hashlib.sha256).hexdigest()


def signature(client_secret: str, body: bytes) -> str:
    """What X-LI-Signature carries: hex HMAC-SHA256 of "hmacsha256=" + the raw body."""
    return hmac.new(client_secret.encode(), b"hmacsha256=" + body, hashlib.sha256).hexdigest()


def signature_valid(client_secret: str, body: bytes, header: str | None) -> bool:
    if not header:
        return False
    given = header.strip().lower().removeprefix("hmacsha256=")
    return hmac.compare_digest(signature(client_secret, body), given)


@dataclass(frozen=True)
class Notification:
    response_id: str
    action: LeadAction
    occurred_at: datetime | None
    payload: dict[str, Any]


def parse_notifications(body: Any) -> list[Notification]:
    """LEAD_ACTION notifications (one object or a list); ValueError naming what is wrong."""
    items = body if isinstance(body, list) else [body]
    found: list[Notification] = []
    for item in items:
        if not isinstance(item, Mapping):
            raise ValueError("a notification must be a JSON object")
        urn = item.get("leadGenFormResponse")
        if not isinstance(urn, str) or not urn.strip():
            raise ValueError("leadGenFormResponse is missing")
        try:
            action = LeadAction(str(item.get("leadAction") or ""))
        except ValueError:
            raise ValueError("leadAction must be CREATED or DELETED") from None
        found.append(
            Notification(
                response_id=urn.rsplit(":", 1)[-1][:100],
                action=action,
                occurred_at=from_epoch_ms(item.get("occurredAt")),
                payload=dict(item),
            )
        )
    return found


# --- windows --------------------------------------------------------------------------


@dataclass(frozen=True)
class Window:
    start: datetime
    end: datetime


def sync_window(
    mode: SyncMode,
    now: datetime,
    *,
    backfill_days: int,
    synced_through: datetime | None,
) -> Window:
    """The submitted-at range a sync reads: a backfill up to 365 days; a pull from the
    last finished window less the overlap (a backfill when there was none)."""
    days = max(1, min(backfill_days, MAX_BACKFILL_DAYS))
    oldest = now - timedelta(days=MAX_BACKFILL_DAYS)
    if mode is SyncMode.BACKFILL or synced_through is None:
        return Window(max(oldest, now - timedelta(days=days)), now)
    return Window(max(oldest, synced_through - PULL_OVERLAP), now)


def new_cursor(mode: SyncMode, window: Window) -> dict[str, Any]:
    return {
        "mode": mode.value,
        "start_ms": epoch_ms(window.start),
        "end_ms": epoch_ms(window.end),
        "offset": 0,
    }


# --- 3-legged OAuth ("Connect with LinkedIn") -----------------------------------------

# A token due within this long is refreshed before a sync starts, not after a 401.
REFRESH_MARGIN = timedelta(minutes=5)


@dataclass(frozen=True)
class OAuthApp:
    """The LinkedIn app leadflow authorises as (from the settings)."""

    client_id: str
    client_secret: str
    oauth_url: str
    api_url: str
    scopes: tuple[str, ...]

    @property
    def configured(self) -> bool:
        return bool(self.client_id and self.client_secret)


def authorization_url(app: OAuthApp, redirect_uri: str, state: str) -> str:
    """Where the user's browser goes to authorise leadflow (authorization code flow).
    Scopes are separated by an encoded space (%20), as LinkedIn's examples send them."""
    query = urlencode(
        {
            "response_type": "code",
            "client_id": app.client_id,
            "redirect_uri": redirect_uri,
            "state": state,
            "scope": " ".join(app.scopes),
        },
        quote_via=quote,
    )
    return f"{app.oauth_url.rstrip('/')}/authorization?{query}"


@dataclass(frozen=True)
class TokenGrant:
    """What LinkedIn's token endpoint granted: the access token, its refresh token (for
    partners LinkedIn gives one), when each expires, the permissions granted."""

    access_token: str
    expires_at: datetime | None
    refresh_token: str | None
    refresh_expires_at: datetime | None
    scopes: str | None


def token_grant(body: Mapping[str, Any], now: datetime) -> TokenGrant:
    """The token endpoint's JSON answer read; ValueError when it holds no access token."""
    token = body.get("access_token")
    if not isinstance(token, str) or not token.strip():
        raise ValueError("LinkedIn's answer holds no access token")

    def after(seconds: Any) -> datetime | None:
        if isinstance(seconds, bool) or not isinstance(seconds, int | float):
            return None
        return now + timedelta(seconds=max(0, int(seconds)))

    refresh = body.get("refresh_token")
    scope = body.get("scope")
    return TokenGrant(
        access_token=token.strip(),
        expires_at=after(body.get("expires_in")),
        refresh_token=refresh.strip() if isinstance(refresh, str) and refresh.strip() else None,
        refresh_expires_at=after(body.get("refresh_token_expires_in")),
        scopes=str(scope)[:500] if scope else None,
    )


def due_for_refresh(expires_at: datetime | None, now: datetime) -> bool:
    return expires_at is not None and expires_at <= now + REFRESH_MARGIN
