"""Connections, discovered forms, field mappings and the LinkedIn lead-matching strategy."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

if TYPE_CHECKING:
    from leadflow.linkedin.client import LinkedInClient

from leadflow.db.uow import UnitOfWork, in_own_transaction
from leadflow.errors import Conflict, ErrorCode, NotFound, ValidationFailed
from leadflow.lib.clock import utcnow
from leadflow.linkedin.domain import (
    DEFAULT_API_VERSION,
    DEFAULT_BASE_URL,
    DEFAULT_MAPPINGS,
    MAX_BACKFILL_DAYS,
    OWNER_PATTERN,
    VERSION_PATTERN,
    ConnectionStatus,
    FormSpec,
    Mappings,
    OAuthApp,
    PredefinedField,
    Question,
)
from leadflow.linkedin.models import (
    LinkedInConnection,
    LinkedInFieldMapping,
    LinkedInForm,
    LinkedInLeadStrategy,
)
from leadflow.matching import services as matching
from leadflow.matching.models import MatchingStrategy
from leadflow.registry.domain import FieldDef, FieldType, Registry

# The lead fields answers may go to: text-like, writable, not kept by the sync itself.
_MAPPABLE_TYPES = frozenset(
    {FieldType.TEXT, FieldType.LONG_TEXT, FieldType.EMAIL, FieldType.PHONE, FieldType.URL}
)
_SYNC_OWNED = frozenset({"source", "status", "status_reason", "campaign"})
DEFAULT_STRATEGY_KEY = "linkedin_default"
DEFAULT_MATCHING_KEY = "linkedin_lead_email"


# --- connections ----------------------------------------------------------------------


def list_connections(session: Session) -> list[LinkedInConnection]:
    return list(session.scalars(select(LinkedInConnection).order_by(LinkedInConnection.name)))


def get_connection(session: Session, connection_id: int) -> LinkedInConnection:
    row = session.get(LinkedInConnection, connection_id)
    if row is None:
        raise NotFound(f"No LinkedIn connection with id {connection_id}", field="connection_id")
    return row


def _text(data: Mapping[str, Any], name: str, label: str, *, limit: int) -> str:
    value = str(data.get(name) or "").strip()
    if not value:
        raise ValidationFailed(f"{label} is required", code=ErrorCode.REQUIRED, field=name)
    if len(value) > limit:
        raise ValidationFailed(f"{label} is longer than {limit} characters", field=name)
    return value


def _checked_settings(data: Mapping[str, Any], values: dict[str, Any]) -> None:
    if data.get("api_version") is not None:
        version = str(data["api_version"]).strip()
        if not VERSION_PATTERN.match(version):
            raise ValidationFailed(
                "The API version is a month as YYYYMM, e.g. 202509", field="api_version"
            )
        values["api_version"] = version
    if data.get("base_url") is not None:
        base = str(data["base_url"]).strip().rstrip("/")
        parsed = urlparse(base)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise ValidationFailed("The API address must be an http(s) URL", field="base_url")
        values["base_url"] = base[:300]
    if "client_secret" in data:
        values["client_secret"] = str(data["client_secret"] or "").strip() or None
    if data.get("access_token") is not None:
        values["access_token"] = _text(data, "access_token", "The access token", limit=4000)
    if data.get("include_test_leads") is not None:
        values["include_test_leads"] = bool(data["include_test_leads"])
    if data.get("backfill_days") is not None:
        days = data["backfill_days"]
        if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= 365:
            raise ValidationFailed(
                f"Backfill days is a whole number from 1 to {MAX_BACKFILL_DAYS}",
                field="backfill_days",
            )
        values["backfill_days"] = days
    if data.get("name") is not None:
        values["name"] = _text(data, "name", "A name", limit=200)


def create_connection(
    data: Mapping[str, Any], *, uow: UnitOfWork, requested_by: int | None = None
) -> LinkedInConnection:
    """Connect an ad account or organisation and start its backfill (up to 365 days)."""
    from leadflow.linkedin.services._sync import start_sync

    name = _text(data, "name", "A name", limit=200)
    owner = _text(data, "owner_urn", "The owner", limit=200)
    if not OWNER_PATTERN.match(owner):
        raise ValidationFailed(
            "The owner is urn:li:sponsoredAccount:<id> or urn:li:organization:<id>",
            field="owner_urn",
        )
    _text(data, "access_token", "The access token", limit=4000)
    session = uow.session
    existing = session.scalar(
        select(LinkedInConnection.id).where(LinkedInConnection.owner_urn == owner)
    )
    if existing is not None:
        raise Conflict(
            f"{owner} is connected already",
            code=ErrorCode.DUPLICATE,
            field="owner_urn",
            existing_id=existing,
        )
    values: dict[str, Any] = {
        "api_version": DEFAULT_API_VERSION,
        "base_url": DEFAULT_BASE_URL,
        "backfill_days": MAX_BACKFILL_DAYS,
        "include_test_leads": False,
        "client_secret": None,
    }
    _checked_settings(data, values)
    now = utcnow()
    row = LinkedInConnection(
        **{**values, "name": name, "owner_urn": owner},
        status=ConnectionStatus.NEW.value,
        created_count=0,
        updated_count=0,
        skipped_count=0,
        failed_count=0,
        deleted_count=0,
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    session.flush()
    start_sync(row.id, backfill=True, uow=uow, requested_by=requested_by)
    return row


def update_connection(
    connection_id: int, changes: Mapping[str, Any], *, uow: UnitOfWork
) -> LinkedInConnection:
    """Change the token, API version, secret or settings. A new token clears an
    expired-token state; the next sync resumes from the kept cursor."""
    row = get_connection(uow.session, connection_id)
    if "owner_urn" in changes and changes["owner_urn"] != row.owner_urn:
        raise ValidationFailed("A connection's owner cannot change", field="owner_urn")
    values: dict[str, Any] = {}
    _checked_settings(changes, values)
    for name, value in values.items():
        setattr(row, name, value)
    if "access_token" in values:
        # A pasted token's lifetime is unknown; the refresh token, if any, stays for later.
        row.access_token_expires_at = None
        if row.status == ConnectionStatus.TOKEN_EXPIRED.value:
            row.status = ConnectionStatus.NEW.value
    row.updated_at = utcnow()
    uow.session.flush()
    return row


def delete_connection(connection_id: int, *, uow: UnitOfWork) -> None:
    """Disconnect: its forms, mappings and stored responses go; leads stay."""
    row = get_connection(uow.session, connection_id)
    uow.session.delete(row)
    uow.session.flush()


do_create_connection = in_own_transaction(create_connection)
do_update_connection = in_own_transaction(update_connection)
do_delete_connection = in_own_transaction(delete_connection)


def connection_public(row: LinkedInConnection) -> dict[str, Any]:
    """The connection as the API shows it: never its token or secret."""
    return {
        "id": row.id,
        "name": row.name,
        "owner_urn": row.owner_urn,
        "api_version": row.api_version,
        "base_url": row.base_url,
        "token_set": bool(row.access_token),
        "access_token_expires_at": _iso(row.access_token_expires_at),
        "refresh_token_set": bool(row.refresh_token),
        "refresh_token_expires_at": _iso(row.refresh_token_expires_at),
        "granted_scopes": row.granted_scopes.split() if row.granted_scopes else [],
        "webhook_secret_set": bool(row.client_secret),
        "include_test_leads": row.include_test_leads,
        "backfill_days": row.backfill_days,
        "status": row.status,
        "last_error": row.last_error,
        "last_error_at": _iso(row.last_error_at),
        "last_sync_at": _iso(row.last_sync_at),
        "synced_through": _iso(row.synced_through),
        "cursor": row.cursor,
        "counts": {
            "created": row.created_count,
            "updated": row.updated_count,
            "skipped": row.skipped_count,
            "failed": row.failed_count,
            "deleted": row.deleted_count,
        },
        "webhook_path": f"/api/v1/linkedin/connections/{row.id}/webhook",
        "subscription_id": row.subscription_id,
        "subscription_webhook": row.subscription_webhook,
    }


def _client(row: LinkedInConnection, uow: UnitOfWork, app: OAuthApp | None) -> LinkedInClient:
    """A client for a use case holding the row: a 401 refreshes the token in its unit."""
    from leadflow.linkedin.client import LinkedInClient
    from leadflow.linkedin.services._tokens import refresh_in

    refresh = (lambda: refresh_in(uow, row, app)) if app and row.refresh_token else None
    return LinkedInClient(row.base_url, row.access_token, row.api_version, refresh=refresh)


def subscribe_notifications(
    connection_id: int, webhook_url: str, *, uow: UnitOfWork, app: OAuthApp | None = None
) -> LinkedInConnection:
    """Have LinkedIn post each new lead of the connection's owner to `webhook_url` (the
    connection's webhook route): a lead notification subscription, its id kept. The
    periodic pull still runs: a notification LinkedIn never sends loses nothing.
    Subscribed already, the old subscription is deleted at LinkedIn first."""
    url = (webhook_url or "").strip()
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc or len(url) > 1000:
        raise ValidationFailed(
            "The webhook URL is the address LinkedIn can reach this connection's webhook at",
            field="webhook_url",
        )
    row = get_connection(uow.session, connection_id)
    with _client(row, uow, app) as client:
        if row.subscription_id:
            client.unsubscribe(row.subscription_id)
        subscription = client.subscribe(row.owner_urn, url)
    row.subscription_id = subscription or None
    row.subscription_webhook = url
    row.updated_at = utcnow()
    uow.session.flush()
    return row


def unsubscribe_notifications(
    connection_id: int, *, uow: UnitOfWork, app: OAuthApp | None = None
) -> LinkedInConnection:
    """Stop LinkedIn's lead notifications for the connection (the pull goes on). A
    subscription LinkedIn no longer knows counts as gone."""
    row = get_connection(uow.session, connection_id)
    if row.subscription_id:
        with _client(row, uow, app) as client:
            client.unsubscribe(row.subscription_id)
    row.subscription_id = None
    row.subscription_webhook = None
    row.updated_at = utcnow()
    uow.session.flush()
    return row


do_subscribe_notifications = in_own_transaction(subscribe_notifications)
do_unsubscribe_notifications = in_own_transaction(unsubscribe_notifications)


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


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


def _upsert_mapping(
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
                f"{kind!r} is not a LinkedIn predefined field", field=f"mappings.{kind}"
            ) from None
        checked = _checked_target(uow.registry, target, f"mappings.{kind}") if target else None
        _upsert_mapping(uow.session, f"predefined:{kind}", checked, predefined=kind)
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
                f"The form has no question {question_id}", field=f"mappings.{question_id}"
            )
        checked = (
            _checked_target(uow.registry, target, f"mappings.{question_id}") if target else None
        )
        _upsert_mapping(
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


def _check_mapped(uow: UnitOfWork, fields: list[str]) -> None:
    mapped = mapped_fields(uow.session)
    unmapped = [name for name in fields if name not in mapped]
    if unmapped:
        raise ValidationFailed(
            f"Only mapped LinkedIn fields can be matched on; map {', '.join(unmapped)} first",
            field="fields",
        )


def _check_active_strategy_mapped(uow: UnitOfWork) -> None:
    row = uow.session.scalar(
        select(LinkedInLeadStrategy).where(LinkedInLeadStrategy.is_active.is_(True))
    )
    if row is not None:
        fields = matching.get_strategy(uow.session, row.matching_strategy_id).fields
        try:
            _check_mapped(uow, fields)
        except ValidationFailed:
            raise ValidationFailed(
                "The active LinkedIn lead-matching strategy matches on "
                f"{', '.join(fields)}: keep those mapped",
                field="mappings",
            ) from None


def create_strategy(data: Mapping[str, Any], *, uow: UnitOfWork) -> LinkedInLeadStrategy:
    """A LinkedIn lead-matching strategy over mapped lead fields; `activate` makes it
    the one active strategy."""
    name = _text(data, "name", "A name", limit=180)
    fields = data.get("fields")
    fields_list = list(fields) if isinstance(fields, list) else fields
    fields_checked = matching._checked_fields(uow.registry, "lead", fields_list)
    _check_mapped(uow, fields_checked)
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
        row.name = _text(changes, "name", "A name", limit=180)
    if "fields" in changes:
        checked = matching._checked_fields(uow.registry, "lead", changes["fields"])
        _check_mapped(uow, checked)
        matching.update_strategy(row.matching_strategy_id, {"fields": checked}, uow=uow)
    for switch in ("always_create_lead", "enable_contact_creation"):
        if changes.get(switch) is not None:
            setattr(row, switch, bool(changes[switch]))
    if changes.get("is_active") is True:
        activate_strategy(row.id, uow=uow)
    elif changes.get("is_active") is False and row.is_active:
        raise ValidationFailed(
            "One LinkedIn strategy stays active; activate another one instead", field="is_active"
        )
    row.updated_at = utcnow()
    uow.session.flush()
    return row


def activate_strategy(strategy_id: int, *, uow: UnitOfWork) -> LinkedInLeadStrategy:
    """Make this the active strategy; the one active before is deactivated."""
    row = get_strategy(uow.session, strategy_id)
    fields = matching.get_strategy(uow.session, row.matching_strategy_id).fields
    _check_mapped(uow, fields)
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
            _upsert_mapping(session, f"predefined:{kind.value}", target, predefined=kind.value)
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
