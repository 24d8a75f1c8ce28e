"""API routes of saved views: the views a caller may use, their records, and their own."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from fastapi import APIRouter, Depends, Request, Response

from leadflow.errors import PermissionDenied
from leadflow.lib.listing import derived_values, run_list
from leadflow.lib.records import to_public
from leadflow.saved_views import services as views
from leadflow.saved_views.schemas import ViewBody
from leadflow.users.domain import Permission, role_allows
from leadflow.users.services import Principal
from leadflow.web.auth import Authorize, container_of
from leadflow.web.reach import scope_of

router = APIRouter(prefix="/api/v1/views", tags=["views"])
can_read = Depends(Authorize(Permission.VIEWS_READ))
can_write = Depends(Authorize(Permission.VIEWS_WRITE))
READ_OF = {"lead": Permission.LEADS_READ, "contact": Permission.CONTACTS_READ}


@router.get("", summary="Saved views I can use")
def list_views(
    request: Request, entity: str = "lead", principal: Principal = can_read
) -> list[dict[str, Any]]:
    with container_of(request).read_session() as session:
        found = views.visible_views(session, principal.role, principal.user_id, entity)
        return [views.public_view(view) for view in found]


@router.post("", status_code=201, summary="Save a view of my own")
def create_view(
    request: Request, body: ViewBody, principal: Principal = can_write
) -> dict[str, Any]:
    with container_of(request).uow() as uow:
        view = views.do_create_view(body.model_dump(), owner_id=principal.user_id, uow=uow)
        return views.public_view(view)


@router.delete("/{view_id}", status_code=204, summary="Delete a view of mine")
def delete_view(request: Request, view_id: int, principal: Principal = can_write) -> Response:
    views.do_delete_view(view_id, owner_id=principal.user_id, uow=container_of(request).uow())
    return Response(status_code=204)


@router.get("/{view_id}/records", summary="The first page of a view's records")
def view_records(request: Request, view_id: int, principal: Principal = can_read) -> dict[str, Any]:
    container = container_of(request)
    with container.read_session() as session:
        view = views.get_view(session, view_id, role=principal.role, user_id=principal.user_id)
        if not role_allows(principal.role, READ_OF[view.entity]):
            raise PermissionDenied(f"The {principal.role} role may not read {view.entity}s")
        registry = container.registry_cache.get(session)
        query = views.view_query(registry, view, principal.user_id)
        page = run_list(session, replace(query, scope=scope_of(view.entity, principal)))
        return {
            "view": views.public_view(view),
            "items": [
                to_public(item, registry, view.entity) | derived_values(item, query)
                for item in page.items
            ],
            "next_cursor": page.next_cursor,
        }
