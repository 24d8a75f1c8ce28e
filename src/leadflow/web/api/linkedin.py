"""API routes of LinkedIn Lead Gen Forms: thin over its services.

No `from __future__ import annotations`: FastAPI reads the body models from the
annotations at run time. The webhook routes are open (LinkedIn calls them): the
challenge and the X-LI-Signature HMAC authenticate them instead.
"""

from typing import Any

from fastapi import APIRouter, Body, Depends, Query, Request, Response
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from leadflow.jobs.services import job_public
from leadflow.linkedin import services
from leadflow.linkedin.domain import PREDEFINED_LABELS, PredefinedField
from leadflow.linkedin.models import LinkedInResponse
from leadflow.linkedin.schemas import (
    ConnectionIn,
    ConnectionPatch,
    MappingsIn,
    StrategyIn,
    SubscriptionIn,
    SyncIn,
)
from leadflow.users.domain import Permission
from leadflow.users.services import Principal
from leadflow.web.auth import Authorize, container_of
from leadflow.web.openapi import problems

WEBHOOK_PATH = "/api/v1/linkedin/connections/{connection_id}/webhook"
PUBLIC_API_ROUTES = (("GET", WEBHOOK_PATH), ("POST", WEBHOOK_PATH))
MAX_RESPONSES = 200


def _dump(body: Any) -> dict[str, Any]:
    data: dict[str, Any] = body.model_dump(exclude_unset=True)
    return data


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
can_admin = Authorize(Permission.LINKEDIN_ADMIN)


@connections_router.get(
    "/connections", dependencies=[Depends(can_admin)], summary="List connections"
)
def list_connections(request: Request) -> dict[str, Any]:
    with container_of(request).read_session() as session:
        rows = services.list_connections(session)
        return {"items": [services.connection_public(row) for row in rows]}


@connections_router.post(
    "/connections",
    status_code=201,
    summary="Connect an ad account or organisation (starts its backfill)",
    responses=problems(409, notes={409: "The owner is connected already (`duplicate`)"}),
)
def create_connection(
    request: Request,
    response: Response,
    body: ConnectionIn = Body(),
    principal: Principal = Depends(can_admin),
) -> dict[str, Any]:
    """The backfill (up to `backfill_days`, at most 365) runs as a job: follow it at
    `GET /api/v1/jobs/{job_id}`; the token and secret are never shown again."""
    with container_of(request).uow() as uow:
        row = services.do_create_connection(_dump(body), uow=uow, requested_by=principal.user_id)
        job = services.active_sync(uow.session, row.id)
        result = {**services.connection_public(row), "job_id": job.id if job else None}
    response.headers["Location"] = f"/api/v1/linkedin/connections/{result['id']}"
    return result


@connections_router.get(
    "/connections/{connection_id}",
    dependencies=[Depends(can_admin)],
    summary="A connection and its sync status (counts, last error, cursor)",
)
def read_connection(request: Request, connection_id: int) -> dict[str, Any]:
    with container_of(request).read_session() as session:
        row = services.get_connection(session, connection_id)
        job = services.active_sync(session, connection_id)
        return {
            **services.connection_public(row),
            "job_id": job.id if job else None,
            "forms": len(services.list_forms(session, connection_id)),
        }


@connections_router.patch(
    "/connections/{connection_id}",
    dependencies=[Depends(can_admin)],
    summary="Change the token, version, secret or settings",
)
def update_connection(
    request: Request, connection_id: int, body: ConnectionPatch = Body()
) -> dict[str, Any]:
    with container_of(request).uow() as uow:
        row = services.do_update_connection(connection_id, _dump(body), uow=uow)
        return services.connection_public(row)


@connections_router.delete(
    "/connections/{connection_id}",
    status_code=204,
    dependencies=[Depends(can_admin)],
    summary="Disconnect (its forms and stored responses go; leads stay)",
)
def delete_connection(request: Request, connection_id: int) -> Response:
    services.do_delete_connection(connection_id, uow=container_of(request).uow())
    return Response(status_code=204)


@connections_router.post(
    "/connections/{connection_id}/sync",
    status_code=202,
    summary="Sync now: a pull over the overlapping window (or a backfill)",
)
def sync_now(
    request: Request,
    connection_id: int,
    body: SyncIn = Body(default_factory=SyncIn),
    principal: Principal = Depends(can_admin),
) -> dict[str, Any]:
    """A sync already queued or running is returned instead of a second one."""
    with container_of(request).uow() as uow:
        job = services.do_start_sync(
            connection_id, backfill=body.backfill, uow=uow, requested_by=principal.user_id
        )
        return job_public(job)


@connections_router.post(
    "/connections/{connection_id}/subscription",
    dependencies=[Depends(can_admin)],
    summary="Subscribe to LinkedIn's lead notifications (its webhooks) for the connection",
    responses={
        **problems(422),
        502: {"description": "LinkedIn refused the call or did not answer"},
    },
)
def subscribe(
    request: Request,
    connection_id: int,
    body: SubscriptionIn = Body(default_factory=SubscriptionIn),
) -> dict[str, Any]:
    """LinkedIn then posts each new response to the webhook; the periodic pull goes on,
    so a notification that never comes loses nothing."""
    url = body.webhook_url or (
        str(request.base_url).rstrip("/") + WEBHOOK_PATH.format(connection_id=connection_id)
    )
    container = container_of(request)
    app = services.oauth_app(container.settings)
    with container.uow() as uow:
        row = services.do_subscribe_notifications(connection_id, url, uow=uow, app=app)
        return services.connection_public(row)


@connections_router.delete(
    "/connections/{connection_id}/subscription",
    dependencies=[Depends(can_admin)],
    summary="Unsubscribe the connection from LinkedIn's lead notifications",
    responses={502: {"description": "LinkedIn refused the call or did not answer"}},
)
def unsubscribe(request: Request, connection_id: int) -> dict[str, Any]:
    """The periodic pull goes on reading the connection's leads."""
    container = container_of(request)
    app = services.oauth_app(container.settings)
    with container.uow() as uow:
        row = services.do_unsubscribe_notifications(connection_id, uow=uow, app=app)
        return services.connection_public(row)


@connections_router.get(
    "/connections/{connection_id}/forms",
    dependencies=[Depends(can_admin)],
    summary="The connection's discovered forms with their questions and mappings",
)
def list_forms(request: Request, connection_id: int) -> dict[str, Any]:
    with container_of(request).read_session() as session:
        services.get_connection(session, connection_id)
        return {
            "items": [
                services.form_public(form, services.mappings_for(session, form.id))
                for form in services.list_forms(session, connection_id)
            ]
        }


@connections_router.get(
    "/connections/{connection_id}/responses",
    dependencies=[Depends(can_admin)],
    summary="The latest stored form responses and what became of them",
)
def list_responses(request: Request, connection_id: int, limit: int = 50) -> dict[str, Any]:
    with container_of(request).read_session() as session:
        services.get_connection(session, connection_id)
        rows = session.scalars(
            select(LinkedInResponse)
            .where(LinkedInResponse.connection_id == connection_id)
            .order_by(LinkedInResponse.id.desc())
            .limit(max(1, min(limit, MAX_RESPONSES)))
        )
        return {"items": [response_public(row) for row in rows]}


@connections_router.get(
    "/forms/{form_id}",
    dependencies=[Depends(can_admin)],
    summary="A form: questions, hidden fields, consents, where each answer goes",
)
def read_form(request: Request, form_id: int) -> dict[str, Any]:
    with container_of(request).read_session() as session:
        form = services.get_form(session, form_id)
        return services.form_public(form, services.mappings_for(session, form.id))


@connections_router.put(
    "/forms/{form_id}/mappings",
    dependencies=[Depends(can_admin)],
    summary="Map this form's questions (by question id) to lead fields",
)
def map_form(request: Request, form_id: int, body: MappingsIn = Body()) -> dict[str, Any]:
    with container_of(request).uow() as uow:
        services.do_set_form_mappings(form_id, body.mappings, uow=uow)
        form = services.get_form(uow.session, form_id)
        return services.form_public(form, services.mappings_for(uow.session, form_id))


@connections_router.get(
    "/mappings",
    dependencies=[Depends(can_admin)],
    summary="Predefined field types and the lead fields they go to",
)
def read_mappings(request: Request) -> dict[str, Any]:
    with container_of(request).read_session() as session:
        return {"items": _predefined_items(services.predefined_mappings(session))}


@connections_router.put(
    "/mappings",
    dependencies=[Depends(can_admin)],
    summary="Map predefined field types (locale-proof) to lead fields",
)
def map_predefined(request: Request, body: MappingsIn = Body()) -> dict[str, Any]:
    with container_of(request).uow() as uow:
        mapped = services.do_set_predefined_mappings(body.mappings, uow=uow)
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


def _strategies_router() -> APIRouter:
    router = APIRouter(prefix="/api/v1/linkedin/strategies", tags=["linkedin"])
    can_admin = Depends(Authorize(Permission.LINKEDIN_ADMIN))

    def _one(session: Any, strategy_id: int) -> dict[str, Any]:
        for row, fields in services.list_strategies(session):
            if row.id == strategy_id:
                return services.strategy_public(row, fields)
        services.get_strategy(session, strategy_id)
        return {}

    @router.get("", dependencies=[can_admin], summary="The LinkedIn lead-matching strategies")
    def list_strategies(request: Request) -> dict[str, Any]:
        with container_of(request).read_session() as session:
            return {
                "items": [
                    services.strategy_public(row, fields)
                    for row, fields in services.list_strategies(session)
                ]
            }

    @router.post("", status_code=201, dependencies=[can_admin], summary="Add a strategy")
    def create_strategy(request: Request, body: StrategyIn = Body()) -> dict[str, Any]:
        with container_of(request).uow() as uow:
            row = services.do_create_strategy(_dump(body), uow=uow)
            return _one(uow.session, row.id)

    @router.patch("/{strategy_id}", dependencies=[can_admin], summary="Change a strategy")
    def update_strategy(
        request: Request, strategy_id: int, body: StrategyIn = Body()
    ) -> dict[str, Any]:
        with container_of(request).uow() as uow:
            services.do_update_strategy(strategy_id, _dump(body), uow=uow)
            return _one(uow.session, strategy_id)

    @router.post(
        "/{strategy_id}/activate",
        dependencies=[can_admin],
        summary="Make it the one active strategy (the active one is deactivated)",
    )
    def activate(request: Request, strategy_id: int) -> dict[str, Any]:
        with container_of(request).uow() as uow:
            services.do_activate_strategy(strategy_id, uow=uow)
            return _one(uow.session, strategy_id)

    @router.delete(
        "/{strategy_id}",
        status_code=204,
        dependencies=[can_admin],
        summary="Delete an inactive strategy",
        responses=problems(409, notes={409: "The active strategy cannot be deleted"}),
    )
    def delete_strategy(request: Request, strategy_id: int) -> Response:
        services.do_delete_strategy(strategy_id, uow=container_of(request).uow())
        return Response(status_code=204)

    return router


def _webhook_router() -> APIRouter:
    router = APIRouter(tags=["linkedin"])

    @router.get(
        WEBHOOK_PATH,
        summary="LinkedIn's webhook validation (open): the challenge code signed",
        responses=problems(401, 404, notes={401: "The connection has no webhook secret"}),
    )
    def validate(
        request: Request, connection_id: int, code: str = Query("", alias="challengeCode")
    ) -> dict[str, str]:
        """Answers `{challengeCode, challengeResponse}`: the hex HMAC-SHA256 of the code
        keyed with the connection's client secret."""
        with container_of(request).read_session() as session:
            return services.challenge(session, connection_id, code)

    @router.post(
        WEBHOOK_PATH,
        summary="LinkedIn's lead notifications (open, signed with X-LI-Signature)",
        responses=problems(
            401, 404, notes={401: "X-LI-Signature does not match the body (`unauthenticated`)"}
        ),
    )
    async def notify(request: Request, connection_id: int) -> dict[str, int]:
        """A CREATED response is fetched from LinkedIn after the answer; a DELETED one is
        reflected at once; a repeated notification is counted and dropped."""
        body = await request.body()
        signature = request.headers.get("X-LI-Signature")
        container = container_of(request)
        return await run_in_threadpool(
            services.do_receive_notifications,
            connection_id,
            body,
            signature,
            uow=container.uow(),
        )

    return router


def routers() -> list[APIRouter]:
    return [connections_router, _strategies_router(), _webhook_router()]
