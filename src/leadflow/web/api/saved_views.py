"""API routes of saved views: the views a caller may use, their records, and their own."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from fastapi import APIRouter, Response
from sqlalchemy.orm import Session

from leadflow.errors import PermissionDenied
from leadflow.records.listing import derived_values, run_list
from leadflow.records.values import to_public
from leadflow.registry.domain import Registry
from leadflow.saved_views import services as views
from leadflow.saved_views.schemas import ViewBody
from leadflow.users.domain import Permission, role_allows
from leadflow.web.calls import ApiCall, api_call
from leadflow.web.reach import scope_of

router = APIRouter(prefix="/api/v1/views", tags=["views"])
reading = api_call(Permission.VIEWS_READ)
writing = api_call(Permission.VIEWS_WRITE)
READ_OF = {"lead": Permission.LEADS_READ, "contact": Permission.CONTACTS_READ}


@router.get("", summary="Saved views I can use")
def list_views(entity: str = "lead", call: ApiCall = reading) -> list[dict[str, Any]]:
    principal = call.principal

    def usable(session: Session) -> list[dict[str, Any]]:
        found = views.visible_views(session, principal.role, principal.user_id, entity)
        return [views.public_view(view) for view in found]

    return call.read(usable)


@router.post("", status_code=201, summary="Save a view of my own")
def create_view(body: ViewBody, call: ApiCall = writing) -> dict[str, Any]:
    return call.run(
        lambda uow: views.do_create_view(body.model_dump(), owner_id=call.user_id, uow=uow),
        lambda view, _: views.public_view(view),
    )


@router.put("/{view_id}", summary="Change a view of mine")
def update_view(view_id: int, body: ViewBody, call: ApiCall = writing) -> dict[str, Any]:
    """Name, filters, columns and sort replaced. Shipped views and other users' are not
    the caller's (404): save a copy with POST. A view keeps its entity (422)."""
    return call.run(
        lambda uow: views.do_update_view(
            view_id, body.model_dump(), owner_id=call.user_id, uow=uow
        ),
        lambda view, _: views.public_view(view),
    )


@router.delete("/{view_id}", status_code=204, summary="Delete a view of mine")
def delete_view(view_id: int, call: ApiCall = writing) -> Response:
    call.write(lambda uow: views.do_delete_view(view_id, owner_id=call.user_id, uow=uow))
    return Response(status_code=204)


@router.get("/{view_id}/records", summary="The first page of a view's records")
def view_records(view_id: int, call: ApiCall = reading) -> dict[str, Any]:
    principal = call.principal

    def first_page(session: Session, registry: Registry) -> dict[str, Any]:
        view = views.get_view(session, view_id, role=principal.role, user_id=principal.user_id)
        if not role_allows(principal.role, READ_OF[view.entity]):
            raise PermissionDenied(f"The {principal.role} role may not read {view.entity}s")
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

    return call.read_registered(first_page)
