"""API of the duplicates capability: candidate pairs and merges of contacts and leads."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any, Literal

from fastapi import APIRouter
from sqlalchemy.orm import Session

from leadflow.db.uow import UnitOfWork
from leadflow.duplicates import services as duplicates
from leadflow.duplicates.schemas import CandidateList, CheckQueued, MergeIn
from leadflow.lib.clock import utcnow
from leadflow.records.values import to_public
from leadflow.registry.domain import Registry
from leadflow.users.domain import Permission as P
from leadflow.web.calls import ApiCall, api_call
from leadflow.web.openapi import problems
from leadflow.web.reach import check_reach, reachable

router = APIRouter(prefix="/api/v1", tags=["duplicates"])


@router.get(
    "/duplicates/{entity}",
    response_model=CandidateList,
    summary="Pairs of contacts or leads that share a match key",
)
def candidates(
    entity: Literal["contact", "lead"], call: ApiCall = api_call(P.CONTACTS_WRITE)
) -> dict[str, Any]:
    """Per matching strategy of the kind, records whose compared values are equal: the
    lowest and highest id of each group and how many it held, newest first, as the last
    check found them (both records still there and unmerged). The check runs in the
    background when records change; `stale` says records changed since it began."""

    def seen_pairs(session: Session, registry: Registry) -> dict[str, Any]:
        found = duplicates.candidate_pairs(session, registry, entity)
        ids = {each for pair in found.pairs for each in (pair.first_id, pair.second_id)}
        seen = reachable(session, entity, ids, call.principal)
        check = found.check
        return {
            "items": [
                asdict(pair) for pair in found.pairs if {pair.first_id, pair.second_id} <= seen
            ],
            "checked_at": check.finished_at,
            "check_seconds": check.seconds,
            "checking": check.running(utcnow()),
            "stale": check.stale(),
        }

    return call.read_registered(seen_pairs)


@router.post(
    "/duplicates/{entity}/check",
    status_code=202,
    response_model=CheckQueued,
    summary="Look for duplicate contacts or leads again now",
)
def check_now(
    entity: Literal["contact", "lead"], call: ApiCall = api_call(P.CONTACTS_WRITE)
) -> dict[str, Any]:
    """Queues a check at once, whatever the pause a large database's checks keep; GET
    the pairs again when `checking` is false."""
    call.write(lambda uow: duplicates.do_check_now([entity], uow=uow))
    return {"entity": entity, "queued": True}


def _merge_route(entity: str, plural: str, permission: P) -> None:
    @router.post(
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
        record_id: int, body: MergeIn, call: ApiCall = api_call(permission)
    ) -> dict[str, Any]:
        """The record of the path survives; what pointed at the other moves to it, and the
        other is kept, marked `merged_into_id`, and redirects."""

        def merged(uow: UnitOfWork) -> Any:
            for each in (record_id, body.other_id):
                check_reach(uow.session, entity, each, call.principal)
            return duplicates.do_merge(
                entity,
                record_id,
                body.other_id,
                take=body.take,
                uow=uow,
                by_user_id=call.user_id,
            )

        return call.run(merged, lambda row, uow: to_public(row, uow.registry, entity))


for _entity, _plural, _permission in (
    ("contact", "contacts", P.CONTACTS_WRITE),
    ("lead", "leads", P.LEADS_WRITE),
):
    _merge_route(_entity, _plural, _permission)


def routers() -> list[APIRouter]:
    return [router]
