"""One router shape for contacts, accounts, leads and opportunities.

No `from __future__ import annotations` here: the request models are built at
run time and FastAPI must see them as real annotations.
"""

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from fastapi import APIRouter, Body, Response
from pydantic import BaseModel
from sqlalchemy.orm import Session

from leadflow.db.uow import UnitOfWork
from leadflow.records.crud import EntitySpec, get_row
from leadflow.records.listing import parse_list_params, run_list
from leadflow.records.values import to_public
from leadflow.users.domain import Permission
from leadflow.web.api.schemas import Page, write_model
from leadflow.web.calls import ApiCall, api_call
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
    router = APIRouter(prefix=f"/api/v1/{routes.plural}", tags=[routes.plural])
    reading, writing = api_call(routes.read), api_call(routes.write)
    _list_route(router, routes, reading)
    _create_route(router, routes, writing)
    _read_route(router, routes, reading)
    _update_route(router, routes, writing)
    _delete_route(router, routes, writing)
    return router


def _out_of_reach(entity: str) -> dict[int, str]:
    # Records out of the caller's reach (a salesperson's marketing-only contacts) are absent.
    return {404: f"No such {entity}, or none the caller may see"}


def _list_route(router: APIRouter, routes: RecordRoutes, reading: Any) -> None:
    entity = routes.spec.entity

    @router.get("", response_model=Page, summary=f"List {routes.plural}")
    def list_records(call: ApiCall = reading) -> dict[str, Any]:
        """Filter with `field=value` or `field__op=value` (ops: eq, ne, lt, lte, gt, gte, in,
        contains, startswith, endswith, empty), sort with `sort=-field`, search with `q`,
        page with `cursor` and `limit` (1-200)."""

        def listed(session: Session) -> dict[str, Any]:
            registry = call.container.registry_cache.get(session)
            query = parse_list_params(registry, entity, call.request.query_params.multi_items())
            page = run_list(session, replace(query, scope=scope_of(entity, call.principal)))
            return {
                "items": [to_public(item, registry, entity) for item in page.items],
                "next_cursor": page.next_cursor,
            }

        return call.read(listed)


def _create_route(router: APIRouter, routes: RecordRoutes, writing: Any) -> None:
    entity = routes.spec.entity
    create_model = write_model(entity, creating=True)

    @router.post(
        "",
        status_code=201,
        summary=f"Create a {entity}",
        responses=problems(409, notes={409: DUPLICATE}) if routes.checks_duplicates else None,
    )
    def create_record(
        response: Response,
        body: create_model = Body(),  # type: ignore[valid-type]
        create_anyway: bool = False,
        call: ApiCall = writing,
    ) -> dict[str, Any]:
        """With `create_anyway=true` a record that matches an existing one is made all the
        same (contacts and leads; other kinds ignore it)."""
        data = _dump(body)
        extra = {"create_anyway": create_anyway} if routes.checks_duplicates else {}
        result = call.run(
            lambda uow: routes.create(data, uow=uow, **extra),
            lambda row, uow: to_public(row, uow.registry, entity),
        )
        response.headers["Location"] = f"/api/v1/{routes.plural}/{result['id']}"
        return result


def _read_route(router: APIRouter, routes: RecordRoutes, reading: Any) -> None:
    entity = routes.spec.entity

    @router.get(
        "/{record_id}",
        summary=f"Read a {entity}",
        responses=problems(404, notes=_out_of_reach(entity)),
    )
    def read_record(record_id: int, call: ApiCall = reading) -> dict[str, Any]:
        def one(session: Session) -> dict[str, Any]:
            check_reach(session, entity, record_id, call.principal)
            row = get_row(session, routes.spec, record_id)
            return to_public(row, call.container.registry_cache.get(session), entity)

        return call.read(one)


def _update_route(router: APIRouter, routes: RecordRoutes, writing: Any) -> None:
    entity = routes.spec.entity
    update_model = write_model(entity, creating=False)
    out_of_reach = _out_of_reach(entity)

    @router.patch(
        "/{record_id}",
        summary=f"Change a {entity}",
        responses=problems(404, 409, notes={**out_of_reach, 409: routes.update_conflict})
        if routes.update_conflict
        else problems(404, notes=out_of_reach),
    )
    def update_record(
        record_id: int,
        body: update_model = Body(),  # type: ignore[valid-type]
        call: ApiCall = writing,
    ) -> dict[str, Any]:
        def change(uow: UnitOfWork) -> Any:
            check_reach(uow.session, entity, record_id, call.principal)
            return routes.update(record_id, _dump(body), uow=uow)

        return call.run(change, lambda row, uow: to_public(row, uow.registry, entity))


def _delete_route(router: APIRouter, routes: RecordRoutes, writing: Any) -> None:
    entity = routes.spec.entity
    out_of_reach = _out_of_reach(entity)

    @router.delete(
        "/{record_id}",
        status_code=204,
        summary=f"Delete a {entity}",
        responses=problems(404, 409, notes={**out_of_reach, 409: DEPENDENTS})
        if routes.delete_takes_unlink
        else problems(404, notes=out_of_reach),
    )
    def delete_record(
        record_id: int, unlink_leads: bool = False, call: ApiCall = writing
    ) -> Response:
        """Contacts and accounts that leads point to are kept unless `unlink_leads=true`."""
        call.read(lambda session: check_reach(session, entity, record_id, call.principal))
        extra = {"unlink_leads": unlink_leads} if routes.delete_takes_unlink else {}
        call.write(lambda uow: routes.delete(record_id, uow=uow, **extra))
        return Response(status_code=204)


def _dump(body: BaseModel) -> dict[str, Any]:
    return body.model_dump(exclude_unset=True)
