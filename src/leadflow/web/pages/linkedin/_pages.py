"""The three LinkedIn settings pages (the settings, a connection's status, a form's
question mappings), the router their routes are served on, and how a refusal shows
on a connection's page."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from leadflow.errors import LeadflowError
from leadflow.jobs.domain import percent
from leadflow.leads.models import Lead
from leadflow.linkedin import services
from leadflow.linkedin.domain import (
    DEFAULT_API_VERSION,
    DEFAULT_BASE_URL,
    PREDEFINED_LABELS,
    ConnectionStatus,
    PredefinedField,
    from_epoch_ms,
)
from leadflow.linkedin.models import LinkedInConnection, LinkedInForm, LinkedInResponse
from leadflow.registry.domain import Registry
from leadflow.users.domain import Permission
from leadflow.users.services import Principal
from leadflow.web.auth import Authorize, container_of
from leadflow.web.calls import Failed, PageCall, page_call
from leadflow.web.pages.display import record_href
from leadflow.web.pages.lookups import titles_by_id
from leadflow.web.pages.render import render, settings_navigation
from leadflow.web.pages.settings_forms import (
    NOTICE,
    FormState,
    status_of,
    when,
)

PATH = "/settings/linkedin"
CONNECTION_INPUTS = (
    "name", "owner_urn", "access_token", "client_secret", "api_version", "base_url",
    "backfill_days", "include_test_leads",
)  # fmt: skip
OAUTH_INPUTS = ("li_name", "li_owner_urn", "li_backfill_days", "li_include_test_leads")
OAUTH_COOKIE = "leadflow_linkedin_oauth"
# LinkedIn's authorization codes live 30 minutes; a pending sign-in no longer than this.
OAUTH_MAX_AGE = 15 * 60
STRATEGY_INPUTS = ("strategy_name", "fields", "always_create_lead", "enable_contact_creation")
NOTICES = {
    "connected": "Connected. The backfill of up to a year of leads has started.",
    "reconnected": "Reconnected with LinkedIn. The sync resumes where it stopped.",
    "subscribed": "Subscribed: LinkedIn now posts each new lead here.",
    "unsubscribed": "Unsubscribed: new leads arrive with the pull every 15 minutes.",
    "mappings": "Field mappings saved.",
    "strategy": "Lead matching saved.",
    "sync": "Sync started.",
    "token": "Connection saved.",
    "form": "Question mappings saved.",
}
# What each state means to the person reading the status page.
STATUS_TEXT = {
    ConnectionStatus.NEW.value: "Not synced yet.",
    ConnectionStatus.SYNCING.value: "Syncing now.",
    ConnectionStatus.OK.value: (
        "Synced. New leads arrive by webhook and by the pull every 15 minutes."
    ),
    ConnectionStatus.TOKEN_EXPIRED.value: (
        "The access token expired or was revoked, and no refresh token could renew it. "
        "Reconnect with LinkedIn, or paste a new token below: the next sync resumes where "
        "this one stopped."
    ),
    ConnectionStatus.THROTTLED.value: (
        "LinkedIn throttled the sync after several pauses. It resumes where it stopped at "
        "the next pull, or press Sync now later."
    ),
    ConnectionStatus.ERROR.value: (
        "LinkedIn answered with errors. The sync resumes where it stopped at the next pull."
    ),
}


def _field_options(registry: Registry) -> list[tuple[str, str]]:
    return [(item.name, item.label) for item in services.mappable_fields(registry)]


@dataclass(frozen=True)
class StrategyRow:
    id: int
    name: str
    fields: str
    is_active: bool
    always_create_lead: bool
    enable_contact_creation: bool


def _settings_page(
    request: Request,
    principal: Principal,
    *,
    connection_form: FormState | None = None,
    strategy_form: FormState | None = None,
    oauth_form: FormState | None = None,
    mapping_error: LeadflowError | None = None,
    status: int = 200,
) -> Response:
    container = container_of(request)
    app = services.oauth_app(container.settings)
    with container.read_session() as session:
        registry = container.registry_cache.get(session)
        labels = dict(_field_options(registry))
        mapped = services.predefined_mappings(session)
        strategies = [
            StrategyRow(
                row.id,
                row.name,
                ", ".join(labels.get(name, name) for name in fields.fields),
                row.is_active,
                row.always_create_lead,
                row.enable_contact_creation,
            )
            for row, fields in services.list_strategies(session)
        ]
        connections = services.list_connections(session)
        mapped_targets = sorted(set(mapped.values()) | services.mapped_fields(session))
    context = {
        "settings_sections": settings_navigation(principal),
        "connections": connections,
        "status_labels": {item.value: item.value.replace("_", " ") for item in ConnectionStatus},
        "predefined": [
            (kind.value, PREDEFINED_LABELS[kind], mapped.get(kind.value, ""))
            for kind in PredefinedField
        ],
        "field_options": _field_options(registry),
        "strategies": strategies,
        "matchable": [(name, labels.get(name, name)) for name in mapped_targets],
        "connection_form": connection_form
        or FormState(
            {
                "api_version": DEFAULT_API_VERSION,
                "base_url": DEFAULT_BASE_URL,
                "backfill_days": "365",
            }
        ),
        "strategy_form": strategy_form or FormState({"enable_contact_creation": "true"}),
        "oauth_ready": app.configured,
        "oauth_scopes": ", ".join(app.scopes),
        "oauth_form": oauth_form or FormState({"li_backfill_days": "365"}),
        "redirect_url": _redirect_uri(request),
        "mapping_error": mapping_error,
        "notice": NOTICES.get(request.query_params.get(NOTICE) or ""),
    }
    return render(request, "linkedin/settings.html", context, status=status)


@dataclass(frozen=True)
class ResponseRow:
    submitted: str
    form: str
    outcome: str
    lead: str | None
    lead_href: str | None
    test_lead: bool
    via: str
    error: str


def _response_rows(session: Session, connection_id: int) -> list[ResponseRow]:
    rows = list(
        session.scalars(
            select(LinkedInResponse)
            .where(LinkedInResponse.connection_id == connection_id)
            .order_by(LinkedInResponse.id.desc())
            .limit(25)
        )
    )
    forms = {
        form.id: form.name
        for form in session.scalars(
            select(LinkedInForm).where(LinkedInForm.connection_id == connection_id)
        )
    }
    leads = _lead_names(session, {row.lead_id for row in rows if row.lead_id})
    return [
        ResponseRow(
            submitted=when(row.submitted_at) or "",
            form=forms.get(row.form_id or 0, row.form_linkedin_id or ""),
            outcome=row.outcome,
            lead=leads.get(row.lead_id) if row.lead_id else None,
            lead_href=record_href("lead", row.lead_id) if row.lead_id else None,
            test_lead=row.test_lead,
            via=row.received_via,
            error=row.error or "",
        )
        for row in rows
    ]


def _lead_names(session: Session, lead_ids: set[int]) -> dict[int, str]:
    """Who each lead is: the person's name or email (its topic is the form's name here)."""
    if not lead_ids:
        return {}
    found = session.execute(
        select(Lead.id, Lead.first_name, Lead.last_name, Lead.email).where(Lead.id.in_(lead_ids))
    )
    names: dict[int, str] = {}
    for lead_id, first, last, email in found:
        person = " ".join(part for part in (first, last) if part)
        names[lead_id] = person or email or ""
    missing = {lead_id for lead_id in lead_ids if not names.get(lead_id)}
    names.update(titles_by_id(session, "lead", missing))
    return names


def _cursor_text(row: LinkedInConnection) -> str | None:
    cursor = row.cursor
    if not cursor:
        return None
    start = from_epoch_ms(cursor.get("start_ms"))
    end = from_epoch_ms(cursor.get("end_ms"))
    return (
        f"Resumes at response {int(cursor.get('offset') or 0) + 1} of the responses submitted "
        f"from {when(start)} to {when(end)} UTC ({cursor.get('mode', 'pull')})."
    )


def _connection_page(
    request: Request,
    principal: Principal,
    connection_id: int,
    *,
    form: FormState | None = None,
    subscription_form: FormState | None = None,
    status: int = 200,
) -> Response:
    container = container_of(request)
    with container.read_session() as session:
        row = services.get_connection(session, connection_id)
        job = services.active_sync(session, connection_id)
        forms = [
            (item, services.mappings_for(session, item.id))
            for item in services.list_forms(session, connection_id)
        ]
        form_rows = [
            {
                "id": item.id,
                "name": item.name,
                "state": (item.state or "").lower(),
                "questions": len(item.questions or []),
                "mapped": sum(
                    1 for question in services.form_questions(item) if mappings.target(question)
                ),
            }
            for item, mappings in forms
        ]
        responses = _response_rows(session, connection_id)
        last_notification = services.last_received(session, connection_id)
        context = {
            "settings_sections": settings_navigation(principal),
            "connection": row,
            "status_text": STATUS_TEXT.get(row.status, row.status),
            "status_label": row.status.replace("_", " "),
            "cursor_text": _cursor_text(row),
            "last_sync": when(row.last_sync_at),
            "synced_through": when(row.synced_through),
            "last_error_at": when(row.last_error_at),
            "last_notification": when(last_notification),
            "job": job,
            "job_percent": percent(job.done, job.total) if job else None,
            "forms": form_rows,
            "responses": responses,
            "webhook_url": str(request.base_url).rstrip("/")
            + f"/api/v1/linkedin/connections/{row.id}/webhook",
            "form": form or FormState({"api_version": row.api_version}),
            "subscription_form": subscription_form or FormState(),
            "oauth_ready": services.oauth_app(container.settings).configured,
            "access_expires": when(row.access_token_expires_at),
            "refresh_expires": when(row.refresh_token_expires_at),
            "notice": NOTICES.get(request.query_params.get(NOTICE) or ""),
        }
        return render(request, "linkedin/connection.html", context, status=status)


def _question_kind(predefined: str | None, kind: str) -> str:
    if predefined:
        if predefined in PredefinedField.__members__:
            return PREDEFINED_LABELS[PredefinedField(predefined)]
        return predefined.replace("_", " ").capitalize()
    return "Multiple choice" if kind == "multiple_choice" else "Custom text"


def _form_page(
    request: Request,
    principal: Principal,
    form_id: int,
    *,
    error: LeadflowError | None = None,
) -> Response:
    container = container_of(request)
    with container.read_session() as session:
        registry = container.registry_cache.get(session)
        form = services.get_form(session, form_id)
        mappings = services.mappings_for(session, form.id)
        connection = services.get_connection(session, form.connection_id)
        options = _field_options(registry)
        labels = dict(options)
        questions = [
            {
                "id": question.question_id,
                "label": question.label,
                "kind": _question_kind(question.predefined_field, question.kind),
                "options": list(question.options.values()),
                "own": mappings.by_question.get(question.question_id, ""),
                "inherited": labels.get(
                    mappings.predefined.get(question.predefined_field or "", ""), ""
                ),
            }
            for question in services.form_questions(form)
        ]
        context = {
            "settings_sections": settings_navigation(principal),
            "form": form,
            "connection": connection,
            "questions": questions,
            "field_options": options,
            "error": error,
            "notice": NOTICES.get(request.query_params.get(NOTICE) or ""),
        }
    return render(request, "linkedin/form.html", context, status=status_of(error))


router = APIRouter(include_in_schema=False)
can_admin = Depends(Authorize(Permission.LINKEDIN_ADMIN))
administering = page_call(Permission.LINKEDIN_ADMIN)


def _on_connection(call: PageCall, connection_id: int, form: str = "form") -> Failed:
    """A refusal shown on the connection's page, in the form it came from."""

    def failed(exc: LeadflowError) -> Response:
        state = {form: FormState(alert=exc.message)}
        return _connection_page(
            call.request, call.principal, connection_id, status=status_of(exc), **state
        )

    return failed


def _redirect_uri(request: Request) -> str:
    configured = container_of(request).settings.linkedin_redirect_url.strip()
    return configured or str(request.base_url).rstrip("/") + f"{PATH}/callback"
