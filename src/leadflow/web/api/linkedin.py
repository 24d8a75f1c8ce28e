"""API routes of LinkedIn Lead Gen Forms: thin over its services.

No `from __future__ import annotations`: FastAPI reads the body models from the
annotations at run time. The webhook routes are open (LinkedIn calls them): the
challenge and the X-LI-Signature HMAC authenticate them instead.
"""

from typing import Any

from fastapi import APIRouter, Body, Query, Response
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from leadflow.db.uow import UnitOfWork
from leadflow.jobs.services import job_public
from leadflow.linkedin import services
from leadflow.linkedin.domain import PREDEFINED_LABELS, PredefinedField
from leadflow.linkedin.models import LinkedInConnection, LinkedInResponse
from leadflow.linkedin.schemas import (
    ConnectionIn,
    ConnectionPatch,
    MappingsIn,
    StrategyIn,
    SubscriptionIn,
    SyncIn,
)
from leadflow.users.domain import Permission
from leadflow.web.calls import ApiCall, OpenCall, api_call, open_call
from leadflow.web.openapi import problems

WEBHOOK_PATH = "/api/v1/linkedin/connections/{connection_id}/webhook"
PUBLIC_API_ROUTES = (("GET", WEBHOOK_PATH), ("POST", WEBHOOK_PATH))
MAX_RESPONSES = 200


def _dump(body: Any) -> dict[str, Any]:
    data: dict[str, Any] = body.model_dump(exclude_unset=True)
    return data


def _connection_public(row: LinkedInConnection, _: UnitOfWork) -> dict[str, Any]:
    return services.connection_public(row)


def response_public(row: LinkedInResponse) -> dict[str, Any]:
    return {
        "id": row.id,
        "response_id": row.response_id,
        "form_id": row.form_id,
        "submitted_at": row.submitted_at.isoformat() if row.submitted_at else None,
        "test_lead": row.test_lead,
        "outcome": row.outcome,
        "error": row.error,
        "lead_id": row.lead_id,
        "contact_id": row.contact_id,
        "lead_created": row.lead_created,
        "contact_created": row.contact_created,
        "lead_values": row.lead_values,
        "answers": row.answers,
        "consents": row.consents,
        "attribution": row.attribution,
        "received_via": row.received_via,
        "deleted_at": row.deleted_at.isoformat() if row.deleted_at else None,
    }


connections_router = APIRouter(prefix="/api/v1/linkedin", tags=["linkedin"])
administering = api_call(Permission.LINKEDIN_ADMIN)


@connections_router.get("/connections", summary="List connections")
def list_connections(call: ApiCall = administering) -> dict[str, Any]:
    return call.read(
        lambda session: {
            "items": [services.connection_public(r) for r in services.list_connections(session)]
        }
    )


@connections_router.post(
    "/connections",
    status_code=201,
    summary="Connect an ad account or organisation (starts its backfill)",
    responses=problems(409, notes={409: "The owner is connected already (`duplicate`)"}),
)
def create_connection(
    response: Response, body: ConnectionIn = Body(), call: ApiCall = administering
) -> dict[str, Any]:
    """The backfill (up to `backfill_days`, at most 365) runs as a job: follow it at
    `GET /api/v1/jobs/{job_id}`; the token and secret are never shown again."""

    def with_job(row: LinkedInConnection, uow: UnitOfWork) -> dict[str, Any]:
        job = services.active_sync(uow.session, row.id)
        return {**services.connection_public(row), "job_id": job.id if job else None}

    result = call.run(
        lambda uow: services.do_create_connection(_dump(body), uow=uow, requested_by=call.user_id),
        with_job,
    )
    response.headers["Location"] = f"/api/v1/linkedin/connections/{result['id']}"
    return result


@connections_router.get(
    "/connections/{connection_id}",
    summary="A connection and its sync status (counts, last error, cursor)",
)
def read_connection(connection_id: int, call: ApiCall = administering) -> dict[str, Any]:
    def status(session: Session) -> dict[str, Any]:
        row = services.get_connection(session, connection_id)
        job = services.active_sync(session, connection_id)
        return {
            **services.connection_public(row),
            "job_id": job.id if job else None,
            "forms": len(services.list_forms(session, connection_id)),
        }

    return call.read(status)


@connections_router.patch(
    "/connections/{connection_id}",
    summary="Change the token, version, secret or settings",
)
def update_connection(
    connection_id: int, body: ConnectionPatch = Body(), call: ApiCall = administering
) -> dict[str, Any]:
    return call.run(
        lambda uow: services.do_update_connection(connection_id, _dump(body), uow=uow),
        _connection_public,
    )


@connections_router.delete(
    "/connections/{connection_id}",
    status_code=204,
    summary="Disconnect (its forms and stored responses go; leads stay)",
)
def delete_connection(connection_id: int, call: ApiCall = administering) -> Response:
    call.write(lambda uow: services.do_delete_connection(connection_id, uow=uow))
    return Response(status_code=204)


@connections_router.post(
    "/connections/{connection_id}/sync",
    status_code=202,
    summary="Sync now: a pull over the overlapping window (or a backfill)",
)
def sync_now(
    connection_id: int,
    body: SyncIn = Body(default_factory=SyncIn),
    call: ApiCall = administering,
) -> dict[str, Any]:
    """A sync already queued or running is returned instead of a second one."""
    return call.run(
        lambda uow: services.do_start_sync(
            connection_id, backfill=body.backfill, uow=uow, requested_by=call.user_id
        ),
        lambda job, _: job_public(job),
    )


@connections_router.post(
    "/connections/{connection_id}/subscription",
    summary="Subscribe to LinkedIn's lead notifications (its webhooks) for the connection",
    responses={
        **problems(422),
        502: {"description": "LinkedIn refused the call or did not answer"},
    },
)
def subscribe(
    connection_id: int,
    body: SubscriptionIn = Body(default_factory=SubscriptionIn),
    call: ApiCall = administering,
) -> dict[str, Any]:
    """LinkedIn then posts each new response to the webhook; the periodic pull goes on,
    so a notification that never comes loses nothing."""
    url = body.webhook_url or (
        str(call.request.base_url).rstrip("/") + WEBHOOK_PATH.format(connection_id=connection_id)
    )
    app = services.oauth_app(call.container.settings)
    return call.run(
        lambda uow: services.do_subscribe_notifications(connection_id, url, uow=uow, app=app),
        _connection_public,
    )


@connections_router.delete(
    "/connections/{connection_id}/subscription",
    summary="Unsubscribe the connection from LinkedIn's lead notifications",
    responses={502: {"description": "LinkedIn refused the call or did not answer"}},
)
def unsubscribe(connection_id: int, call: ApiCall = administering) -> dict[str, Any]:
    """The periodic pull goes on reading the connection's leads."""
    app = services.oauth_app(call.container.settings)
    return call.run(
        lambda uow: services.do_unsubscribe_notifications(connection_id, uow=uow, app=app),
        _connection_public,
    )


@connections_router.get(
    "/connections/{connection_id}/forms",
    summary="The connection's discovered forms with their questions and mappings",
)
def list_forms(connection_id: int, call: ApiCall = administering) -> dict[str, Any]:
    def listed(session: Session) -> dict[str, Any]:
        services.get_connection(session, connection_id)
        return {
            "items": [
                services.form_public(form, services.mappings_for(session, form.id))
                for form in services.list_forms(session, connection_id)
            ]
        }

    return call.read(listed)


@connections_router.get(
    "/connections/{connection_id}/responses",
    summary="The latest stored form responses and what became of them",
)
def list_responses(
    connection_id: int, limit: int = 50, call: ApiCall = administering
) -> dict[str, Any]:
    def latest(session: Session) -> dict[str, Any]:
        services.get_connection(session, connection_id)
        rows = session.scalars(
            select(LinkedInResponse)
            .where(LinkedInResponse.connection_id == connection_id)
            .order_by(LinkedInResponse.id.desc())
            .limit(max(1, min(limit, MAX_RESPONSES)))
        )
        return {"items": [response_public(row) for row in rows]}

    return call.read(latest)


def _form_public(session: Session, form_id: int) -> dict[str, Any]:
    form = services.get_form(session, form_id)
    return services.form_public(form, services.mappings_for(session, form.id))


@connections_router.get(
    "/forms/{form_id}",
    summary="A form: questions, hidden fields, consents, where each answer goes",
)
def read_form(form_id: int, call: ApiCall = administering) -> dict[str, Any]:
    return call.read(lambda session: _form_public(session, form_id))


@connections_router.put(
    "/forms/{form_id}/mappings",
    summary="Map this form's questions (by question id) to lead fields",
)
def map_form(
    form_id: int, body: MappingsIn = Body(), call: ApiCall = administering
) -> dict[str, Any]:
    return call.run(
        lambda uow: services.do_set_form_mappings(form_id, body.mappings, uow=uow),
        lambda _, uow: _form_public(uow.session, form_id),
    )


@connections_router.get(
    "/mappings", summary="Predefined field types and the lead fields they go to"
)
def read_mappings(call: ApiCall = administering) -> dict[str, Any]:
    return call.read(
        lambda session: {"items": _predefined_items(services.predefined_mappings(session))}
    )


@connections_router.put(
    "/mappings", summary="Map predefined field types (locale-proof) to lead fields"
)
def map_predefined(body: MappingsIn = Body(), call: ApiCall = administering) -> dict[str, Any]:
    mapped = call.write(lambda uow: services.do_set_predefined_mappings(body.mappings, uow=uow))
    return {"items": _predefined_items(mapped)}


def _predefined_items(mapped: dict[str, str]) -> list[dict[str, Any]]:
    return [
        {
            "predefined_field": kind.value,
            "label": PREDEFINED_LABELS[kind],
            "lead_field": mapped.get(kind.value),
        }
        for kind in PredefinedField
    ]


strategies_router = APIRouter(prefix="/api/v1/linkedin/strategies", tags=["linkedin"])


def _one(session: Session, strategy_id: int) -> dict[str, Any]:
    for row, fields in services.list_strategies(session):
        if row.id == strategy_id:
            return services.strategy_public(row, fields)
    services.get_strategy(session, strategy_id)
    return {}


@strategies_router.get("", summary="The LinkedIn lead-matching strategies")
def list_strategies(call: ApiCall = administering) -> dict[str, Any]:
    return call.read(
        lambda session: {
            "items": [
                services.strategy_public(row, fields)
                for row, fields in services.list_strategies(session)
            ]
        }
    )


@strategies_router.post("", status_code=201, summary="Add a strategy")
def create_strategy(body: StrategyIn = Body(), call: ApiCall = administering) -> dict[str, Any]:
    return call.run(
        lambda uow: services.do_create_strategy(_dump(body), uow=uow),
        lambda row, uow: _one(uow.session, row.id),
    )


@strategies_router.patch("/{strategy_id}", summary="Change a strategy")
def update_strategy(
    strategy_id: int, body: StrategyIn = Body(), call: ApiCall = administering
) -> dict[str, Any]:
    return call.run(
        lambda uow: services.do_update_strategy(strategy_id, _dump(body), uow=uow),
        lambda _, uow: _one(uow.session, strategy_id),
    )


@strategies_router.post(
    "/{strategy_id}/activate",
    summary="Make it the one active strategy (the active one is deactivated)",
)
def activate(strategy_id: int, call: ApiCall = administering) -> dict[str, Any]:
    return call.run(
        lambda uow: services.do_activate_strategy(strategy_id, uow=uow),
        lambda _, uow: _one(uow.session, strategy_id),
    )


@strategies_router.delete(
    "/{strategy_id}",
    status_code=204,
    summary="Delete an inactive strategy",
    responses=problems(409, notes={409: "The active strategy cannot be deleted"}),
)
def delete_strategy(strategy_id: int, call: ApiCall = administering) -> Response:
    call.write(lambda uow: services.do_delete_strategy(strategy_id, uow=uow))
    return Response(status_code=204)


webhook_router = APIRouter(tags=["linkedin"])


@webhook_router.get(
    WEBHOOK_PATH,
    summary="LinkedIn's webhook validation (open): the challenge code signed",
    responses=problems(401, 404, notes={401: "The connection has no webhook secret"}),
)
def validate(
    connection_id: int,
    code: str = Query("", alias="challengeCode"),
    call: OpenCall = open_call(),
) -> dict[str, str]:
    """Answers `{challengeCode, challengeResponse}`: the hex HMAC-SHA256 of the code
    keyed with the connection's client secret."""
    return call.read(lambda session: services.challenge(session, connection_id, code))


@webhook_router.post(
    WEBHOOK_PATH,
    summary="LinkedIn's lead notifications (open, signed with X-LI-Signature)",
    responses=problems(
        401, 404, notes={401: "X-LI-Signature does not match the body (`unauthenticated`)"}
    ),
)
async def notify(connection_id: int, call: OpenCall = open_call()) -> dict[str, int]:
    """A CREATED response is fetched from LinkedIn after the answer; a DELETED one is
    reflected at once; a repeated notification is counted and dropped."""
    body = await call.request.body()
    signature = call.request.headers.get("X-LI-Signature")
    return await run_in_threadpool(
        call.write,
        lambda uow: services.do_receive_notifications(connection_id, body, signature, uow=uow),
    )


def routers() -> list[APIRouter]:
    return [connections_router, strategies_router, webhook_router]
