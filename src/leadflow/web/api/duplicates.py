"""API of the duplicates capability: candidate pairs and merges of contacts and leads."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any, Literal

from fastapi import APIRouter, Depends, Request

from leadflow.duplicates import services as duplicates
from leadflow.duplicates.schemas import CandidateList, MergeIn
from leadflow.lib.records import to_public
from leadflow.users.domain import Permission as P
from leadflow.users.services import Principal
from leadflow.web.auth import Authorize, container_of
from leadflow.web.openapi import problems
from leadflow.web.reach import check_reach, reachable


def router() -> APIRouter:
    api = APIRouter(prefix="/api/v1", tags=["duplicates"])

    @api.get(
        "/duplicates/{entity}",
        response_model=CandidateList,
        summary="Pairs of contacts or leads that share a match key",
    )
    def candidates(
        request: Request,
        entity: Literal["contact", "lead"],
        principal: Principal = Depends(Authorize(P.CONTACTS_WRITE)),
    ) -> dict[str, Any]:
        """Per matching strategy of the kind, records whose compared values are equal: the
        lowest and highest id of each group and how many it holds, newest first."""
        container = container_of(request)
        with container.read_session() as session:
            registry = container.registry_cache.get(session)
            pairs = duplicates.candidate_pairs(session, registry, entity)
            ids = {each for pair in pairs for each in (pair.first_id, pair.second_id)}
            seen = reachable(session, entity, ids, principal)
        return {
            "items": [asdict(pair) for pair in pairs if {pair.first_id, pair.second_id} <= seen]
        }

    for entity, plural, permission in (
        ("contact", "contacts", P.CONTACTS_WRITE),
        ("lead", "leads", P.LEADS_WRITE),
    ):
        _merge_route(api, entity, plural, permission)
    return api


def _merge_route(api: APIRouter, entity: str, plural: str, permission: P) -> None:
    @api.post(
        f"/{plural}/{{record_id}}/merge",
        summary=f"Merge another {entity} into this one",
        responses=problems(
            404,
            409,
            notes={
                404: f"No such {entity} (or none the caller may see)",
                409: f"One of the two was already merged into another {entity}",
            },
        ),
        tags=[plural],
    )
    def merge(
        request: Request,
        record_id: int,
        body: MergeIn,
        principal: Principal = Depends(Authorize(permission)),
    ) -> dict[str, Any]:
        """The record of the path survives; what pointed at the other moves to it, and the
        other is kept, marked `merged_into_id`, and redirects."""
        container = container_of(request)
        with container.uow() as uow:
            for each in (record_id, body.other_id):
                check_reach(uow.session, entity, each, principal)
            row = duplicates.do_merge(
                entity,
                record_id,
                body.other_id,
                take=body.take,
                uow=uow,
                by_user_id=principal.user_id,
            )
            return to_public(row, uow.registry, entity)


def routers() -> list[APIRouter]:
    return [router()]
