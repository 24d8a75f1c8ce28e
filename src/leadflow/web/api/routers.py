"""The API routers: records, interactions, users, fields, health."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from sqlalchemy import select

from leadflow.accounts.services import (
    ACCOUNTS,
    do_create_account,
    do_delete_account,
    do_update_account,
)
from leadflow.contacts.services import (
    CONTACTS,
    do_delete_contact,
    do_update_contact,
)
from leadflow.duplicates.services import do_create_contact_checked, do_create_lead_checked
from leadflow.errors import NotFound
from leadflow.interactions.services import (
    contact_timeline,
    do_record_interaction,
    do_record_interactions,
    get_interaction,
)
from leadflow.leads.models import Lead
from leadflow.leads.services import LEADS, do_delete_lead, do_update_lead
from leadflow.lib.crud import get_row
from leadflow.lib.listing import parse_list_params, run_list
from leadflow.lib.records import to_public
from leadflow.opportunities.services import (
    OPPORTUNITIES,
    do_create_opportunity,
    do_delete_opportunity,
    do_update_opportunity,
)
from leadflow.registry.services import do_add_custom_field, do_remove_custom_field
from leadflow.users.domain import Permission as P
from leadflow.users.models import User
from leadflow.users.services import (
    Principal,
    do_create_token,
    do_create_user,
    do_update_user,
    get_user,
    list_users,
)
from leadflow.web.api.records import RecordRoutes, record_router
from leadflow.web.api.schemas import (
    CustomFieldIn,
    HealthOut,
    InteractionBatchIn,
    InteractionIn,
    IssuedToken,
    MeOut,
    Page,
    TokenIn,
    UserIn,
    UserList,
    UserOut,
    UserPatch,
)
from leadflow.web.auth import Authorize, container_of
from leadflow.web.openapi import problems
from leadflow.web.reach import check_reach, scope_of

RECORDS = [
    RecordRoutes(CONTACTS, "contacts", P.CONTACTS_READ, P.CONTACTS_WRITE,
                 do_create_contact_checked, do_update_contact, do_delete_contact,
                 delete_takes_unlink=True, checks_duplicates=True),
    RecordRoutes(ACCOUNTS, "accounts", P.ACCOUNTS_READ, P.ACCOUNTS_WRITE, do_create_account,
                 do_update_account, do_delete_account, delete_takes_unlink=True),
    RecordRoutes(LEADS, "leads", P.LEADS_READ, P.LEADS_WRITE, do_create_lead_checked,
                 do_update_lead, do_delete_lead,
                 update_conflict="The lead is qualified and read-only", checks_duplicates=True),
    RecordRoutes(OPPORTUNITIES, "opportunities", P.OPPORTUNITIES_READ, P.OPPORTUNITIES_WRITE,
                 do_create_opportunity, do_update_opportunity, do_delete_opportunity),
]  # fmt: skip


def contact_extras() -> APIRouter:
    router = APIRouter(prefix="/api/v1/contacts", tags=["contacts"])

    @router.get(
        "/{contact_id}/interactions",
        summary="A contact's interaction timeline, newest first",
    )
    def timeline(
        request: Request,
        contact_id: int,
        limit: int = 100,
        principal: Principal = Depends(Authorize(P.INTERACTIONS_READ)),
    ) -> dict[str, Any]:
        container = container_of(request)
        with container.read_session() as session:
            get_row(session, CONTACTS, contact_id)
            check_reach(session, "contact", contact_id, principal)
            registry = container.registry_cache.get(session)
            rows = contact_timeline(session, contact_id, limit=max(1, min(limit, 500)))
            return {"items": [to_public(row, registry, "interaction") for row in rows]}

    @router.get(
        "/{contact_id}/leads",
        summary="The leads whose parent contact this is",
    )
    def leads_of(
        request: Request,
        contact_id: int,
        principal: Principal = Depends(Authorize(P.LEADS_READ)),
    ) -> dict[str, Any]:
        container = container_of(request)
        with container.read_session() as session:
            get_row(session, CONTACTS, contact_id)
            check_reach(session, "contact", contact_id, principal)
            registry = container.registry_cache.get(session)
            rows = session.scalars(
                select(Lead).where(Lead.parent_contact_id == contact_id).order_by(Lead.id.desc())
            )
            return {"items": [to_public(row, registry, "lead") for row in rows]}

    return router


def interactions_router() -> APIRouter:
    router = APIRouter(prefix="/api/v1/interactions", tags=["interactions"])
    can_read = Depends(Authorize(P.INTERACTIONS_READ))
    can_write = Depends(Authorize(P.INTERACTIONS_WRITE))

    @router.post("", status_code=201, dependencies=[can_write], summary="Record an interaction")
    def record_one(request: Request, body: InteractionIn) -> dict[str, Any]:
        container = container_of(request)
        recorded = do_record_interaction(body.model_dump(exclude_unset=True), uow=container.uow())
        return {"id": recorded.interaction_id, **recorded.to_payload()}

    @router.post(
        "/batch",
        status_code=201,
        dependencies=[can_write],
        summary="Record up to 10,000 interactions in one transaction",
    )
    def record_batch(request: Request, body: InteractionBatchIn) -> dict[str, Any]:
        container = container_of(request)
        items = [item.model_dump(exclude_unset=True) for item in body.items]
        recorded = do_record_interactions(items, uow=container.uow())
        return {"count": len(recorded), "ids": [item.interaction_id for item in recorded]}

    @router.get("", response_model=Page, summary="List interactions")
    def list_interactions(request: Request, principal: Principal = can_read) -> dict[str, Any]:
        container = container_of(request)
        with container.read_session() as session:
            registry = container.registry_cache.get(session)
            params = [
                ("sort", "-occurred_at"),
                *request.query_params.multi_items(),
            ]
            query = parse_list_params(registry, "interaction", params)
            page = run_list(session, replace(query, scope=scope_of("interaction", principal)))
        return {
            "items": [to_public(item, registry, "interaction") for item in page.items],
            "next_cursor": page.next_cursor,
        }

    @router.get(
        "/{interaction_id}",
        summary="Read an interaction",
        responses=problems(404, notes={404: "No such interaction, or none the caller may see"}),
    )
    def read_one(
        request: Request, interaction_id: int, principal: Principal = can_read
    ) -> dict[str, Any]:
        container = container_of(request)
        with container.read_session() as session:
            row = get_interaction(session, interaction_id)
            try:
                check_reach(session, "contact", row.contact_id, principal)
            except NotFound:
                raise NotFound(f"No interaction with id {interaction_id}", field="id") from None
            return to_public(row, container.registry_cache.get(session), "interaction")

    return router


def _user_public(user: User) -> dict[str, Any]:
    return {
        "id": user.id,
        "email": user.email,
        "name": user.name,
        "role": user.role,
        "is_active": user.is_active,
        "capacity": user.capacity,
        "created_at": user.created_at.isoformat(),
    }


def users_router() -> APIRouter:
    router = APIRouter(prefix="/api/v1", tags=["users"])
    can_read = Depends(Authorize(P.USERS_READ))
    can_admin = Depends(Authorize(P.USERS_ADMIN))

    @router.get("/me", response_model=MeOut, summary="Who the caller is")
    def me(principal: Principal = Depends(Authorize(None))) -> dict[str, Any]:
        return {
            "id": principal.user_id,
            "name": principal.name,
            "email": principal.email,
            "role": principal.role.value,
            "via": principal.via,
        }

    @router.get("/users", response_model=UserList, dependencies=[can_read], summary="List users")
    def users_index(request: Request) -> dict[str, Any]:
        container = container_of(request)
        with container.read_session() as session:
            return {"items": [_user_public(user) for user in list_users(session)]}

    @router.post(
        "/users",
        status_code=201,
        response_model=UserOut,
        dependencies=[can_admin],
        summary="Add a user",
        responses=problems(409, notes={409: "A user has this email (`duplicate`)"}),
    )
    def add_user(request: Request, body: UserIn) -> dict[str, Any]:
        container = container_of(request)
        with container.uow() as uow:
            user = do_create_user(**body.model_dump(), uow=uow)
            return _user_public(user)

    @router.get(
        "/users/{user_id}", response_model=UserOut, dependencies=[can_read], summary="Read a user"
    )
    def read_user(request: Request, user_id: int) -> dict[str, Any]:
        container = container_of(request)
        with container.read_session() as session:
            return _user_public(get_user(session, user_id))

    @router.patch(
        "/users/{user_id}",
        response_model=UserOut,
        dependencies=[can_admin],
        summary="Change a user",
        responses=problems(409, notes={409: "The last active admin must stay an active admin"}),
    )
    def change_user(request: Request, user_id: int, body: UserPatch) -> dict[str, Any]:
        container = container_of(request)
        with container.uow() as uow:
            user = do_update_user(user_id, body.model_dump(exclude_unset=True), uow=uow)
            return _user_public(user)

    @router.post(
        "/users/{user_id}/tokens",
        status_code=201,
        response_model=IssuedToken,
        dependencies=[can_admin],
        summary="Issue an API token (shown once)",
    )
    def issue_token(request: Request, user_id: int, body: TokenIn) -> dict[str, Any]:
        container = container_of(request)
        row, token = do_create_token(user_id, name=body.name, role=body.role, uow=container.uow())
        return {"id": row.id, "name": row.name, "role": row.role, "token": token}

    return router


def fields_router() -> APIRouter:
    router = APIRouter(prefix="/api/v1", tags=["fields"])
    can_read = Depends(Authorize(P.FIELDS_READ))
    can_admin = Depends(Authorize(P.FIELDS_ADMIN))

    @router.get("/fields", dependencies=[can_read], summary="Every entity and its fields")
    def all_fields(request: Request) -> dict[str, Any]:
        registry = container_of(request).registry()
        return {
            "entities": [
                {
                    "name": entity.name,
                    "label": entity.label,
                    "plural": entity.plural,
                    "supports_custom_fields": entity.supports_custom_fields,
                    "fields": [item.public() for item in registry.fields_of(entity.name)],
                }
                for entity in registry.entities.values()
            ],
            "relationships": [rel.public() for rel in registry.relationships.values()],
        }

    @router.get("/fields/{entity}", dependencies=[can_read], summary="One entity's fields")
    def entity_fields(request: Request, entity: str) -> dict[str, Any]:
        registry = container_of(request).registry()
        return {"items": [item.public() for item in registry.fields_of(entity)]}

    @router.post(
        "/fields",
        status_code=201,
        dependencies=[can_admin],
        summary="Add a custom field",
        responses=problems(409, notes={409: "The entity has a field of this name (`duplicate`)"}),
    )
    def add_field(request: Request, body: CustomFieldIn) -> dict[str, Any]:
        container = container_of(request)
        definition = do_add_custom_field(body.model_dump(), uow=container.uow())
        return definition.public()

    @router.delete(
        "/fields/{entity}/{name}",
        status_code=204,
        dependencies=[can_admin],
        summary="Remove a custom field",
        responses=problems(404, notes={404: "The entity has no custom field of this name"}),
    )
    def remove_field(request: Request, entity: str, name: str) -> Response:
        container = container_of(request)
        do_remove_custom_field(entity, name, uow=container.uow())
        return Response(status_code=204)

    return router


def health_router() -> APIRouter:
    router = APIRouter(tags=["health"])

    @router.get(
        "/health", response_model=HealthOut, summary="Liveness and database reachability (open)"
    )
    def health(request: Request) -> dict[str, Any]:
        container = container_of(request)
        with container.read_session() as session:
            session.execute(select(1))
        return {"status": "ok", "database": container.engine.dialect.name}

    return router


def api_routers() -> list[APIRouter]:
    from leadflow.web.api import (
        activities,
        automation,
        capture,
        dashboard,
        duplicates,
        emails,
        imports,
        jobs,
        journeys,
        linkedin,
        outbox,
        process,
        sales,
        saved_views,
        scoring,
        segments,
    )

    return [
        health_router(),
        *(record_router(routes) for routes in RECORDS),
        contact_extras(),
        interactions_router(),
        users_router(),
        fields_router(),
        *capture.routers(),
        *linkedin.routers(),
        *scoring.routers(),
        process.router,
        sales.router,
        dashboard.router,
        saved_views.router,
        *automation.routers(),
        *jobs.routers(),
        *segments.routers(),
        segments.contact_segments_router(),
        *imports.routers(),
        *duplicates.routers(),
        activities.router,
        *journeys.routers(),
        *emails.routers(),
        outbox.router,
    ]
