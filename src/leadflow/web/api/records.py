"""One router shape for contacts, accounts, leads and opportunities.

No `from __future__ import annotations` here: the request models are built at
run time and FastAPI must see them as real annotations.
"""

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from fastapi import APIRouter, Body, Depends, Request, Response
from pydantic import BaseModel

from leadflow.lib.crud import EntitySpec, get_row
from leadflow.lib.listing import parse_list_params, run_list
from leadflow.lib.records import to_public
from leadflow.users.domain import Permission
from leadflow.users.services import Principal
from leadflow.web.api.schemas import Page, write_model
from leadflow.web.auth import Authorize, container_of
from leadflow.web.openapi import problems
from leadflow.web.reach import check_reach, scope_of

DUPLICATE = (
    "The values match an existing record under the default matching strategy: code "
    "`duplicate`, `existing_id` and `existing` (its title and links) name it; repeat with "
    "create_anyway=true to make another"
)
DEPENDENTS = "Leads point to it (`has_dependents`, `lead_ids`): repeat with unlink_leads=true"


@dataclass(frozen=True)
class RecordRoutes:
    spec: EntitySpec[Any]
    plural: str
    read: Permission
    write: Permission
    # The use cases behind the writes: each commits its own unit of work.
    create: Callable[..., Any]
    update: Callable[..., Any]
    delete: Callable[..., None]
    delete_takes_unlink: bool = False
    # Why a change may be refused with 409 (None: it never is).
    update_conflict: str | None = None
    # Creation refuses a record the matching strategy finds (409 `duplicate`), unless
    # `create_anyway=true`.
    checks_duplicates: bool = False


def record_router(routes: RecordRoutes) -> APIRouter:
    entity = routes.spec.entity
    router = APIRouter(prefix=f"/api/v1/{routes.plural}", tags=[routes.plural])
    create_model = write_model(entity, creating=True)
    update_model = write_model(entity, creating=False)
    can_read = Depends(Authorize(routes.read))
    can_write = Depends(Authorize(routes.write))
    # Records out of the caller's reach (a salesperson's marketing-only contacts) are absent.
    out_of_reach = {404: f"No such {entity}, or none the caller may see"}

    @router.get("", response_model=Page, summary=f"List {routes.plural}")
    def list_records(request: Request, principal: Principal = can_read) -> dict[str, Any]:
        """Filter with `field=value` or `field__op=value` (ops: eq, ne, lt, lte, gt, gte, in,
        contains, startswith, endswith, empty), sort with `sort=-field`, search with `q`,
        page with `cursor` and `limit` (1-200)."""
        container = container_of(request)
        with container.read_session() as session:
            registry = container.registry_cache.get(session)
            query = parse_list_params(registry, entity, request.query_params.multi_items())
            page = run_list(session, replace(query, scope=scope_of(entity, principal)))
        return {
            "items": [to_public(item, registry, entity) for item in page.items],
            "next_cursor": page.next_cursor,
        }

    @router.post(
        "",
        status_code=201,
        dependencies=[can_write],
        summary=f"Create a {entity}",
        responses=problems(409, notes={409: DUPLICATE}) if routes.checks_duplicates else None,
    )
    def create_record(
        request: Request,
        response: Response,
        body: create_model = Body(),  # type: ignore[valid-type]
        create_anyway: bool = False,
    ) -> dict[str, Any]:
        """With `create_anyway=true` a record that matches an existing one is made all the
        same (contacts and leads; other kinds ignore it)."""
        container = container_of(request)
        data = _dump(body)
        with container.uow() as uow:
            if routes.checks_duplicates:
                row = routes.create(data, uow=uow, create_anyway=create_anyway)
            else:
                row = routes.create(data, uow=uow)
            result = to_public(row, uow.registry, entity)
        response.headers["Location"] = f"/api/v1/{routes.plural}/{result['id']}"
        return result

    @router.get(
        "/{record_id}",
        summary=f"Read a {entity}",
        responses=problems(404, notes=out_of_reach),
    )
    def read_record(
        request: Request, record_id: int, principal: Principal = can_read
    ) -> dict[str, Any]:
        container = container_of(request)
        with container.read_session() as session:
            check_reach(session, entity, record_id, principal)
            row = get_row(session, routes.spec, record_id)
            return to_public(row, container.registry_cache.get(session), entity)

    @router.patch(
        "/{record_id}",
        summary=f"Change a {entity}",
        responses=problems(404, 409, notes={**out_of_reach, 409: routes.update_conflict})
        if routes.update_conflict
        else problems(404, notes=out_of_reach),
    )
    def update_record(
        request: Request,
        record_id: int,
        body: update_model = Body(),  # type: ignore[valid-type]
        principal: Principal = can_write,
    ) -> dict[str, Any]:
        container = container_of(request)
        with container.uow() as uow:
            check_reach(uow.session, entity, record_id, principal)
            row = routes.update(record_id, _dump(body), uow=uow)
            result = to_public(row, uow.registry, entity)
        return result

    @router.delete(
        "/{record_id}",
        status_code=204,
        summary=f"Delete a {entity}",
        responses=problems(404, 409, notes={**out_of_reach, 409: DEPENDENTS})
        if routes.delete_takes_unlink
        else problems(404, notes=out_of_reach),
    )
    def delete_record(
        request: Request,
        record_id: int,
        unlink_leads: bool = False,
        principal: Principal = can_write,
    ) -> Response:
        """Contacts and accounts that leads point to are kept unless `unlink_leads=true`."""
        container = container_of(request)
        with container.read_session() as session:
            check_reach(session, entity, record_id, principal)
        uow = container.uow()
        if routes.delete_takes_unlink:
            routes.delete(record_id, unlink_leads=unlink_leads, uow=uow)
        else:
            routes.delete(record_id, uow=uow)
        return Response(status_code=204)

    return router


def _dump(body: BaseModel) -> dict[str, Any]:
    return body.model_dump(exclude_unset=True)
