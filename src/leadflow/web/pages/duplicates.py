"""Pages of the duplicates capability: candidate pairs, and a side-by-side merge."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from leadflow.db.uow import UnitOfWork
from leadflow.duplicates import services as duplicates
from leadflow.errors import LeadflowError, NotFound
from leadflow.lib.clock import utcnow
from leadflow.records.values import to_public
from leadflow.users.domain import Permission as P
from leadflow.users.services import Principal
from leadflow.web.auth import Authorize, container_of
from leadflow.web.calls import PageCall, page_call
from leadflow.web.errors import answer
from leadflow.web.pages.display import cell_for, public_value, title_of
from leadflow.web.pages.lookups import reference_titles
from leadflow.web.pages.render import render
from leadflow.web.reach import check_reach, reachable

PLURALS = {"contact": "contacts", "lead": "leads"}
WRITE = {"contact": P.CONTACTS_WRITE, "lead": P.LEADS_WRITE}


def _comparison(
    request: Request, principal: Principal, entity: str, first: int, second: int
) -> dict[str, Any]:
    container = container_of(request)
    with container.read_session() as session:
        registry = container.registry_cache.get(session)
        model = duplicates.MODELS[entity]
        records = []
        for record_id in (first, second):
            check_reach(session, entity, record_id, principal)
            row = session.get(model, record_id)
            if row is None:
                raise NotFound(f"No {entity} with id {record_id}", field="id")
            records.append(to_public(row, registry, entity))
        titles = reference_titles(session, registry, entity, records)
        rows = []
        for name in duplicates.mergeable_fields(registry, entity):
            definition = registry.field(entity, name)
            values = [public_value(definition, record) for record in records]
            cells = [cell_for(definition, value, titles) for value in values]
            rows.append(
                {
                    "name": name,
                    "label": definition.label,
                    "cells": cells,
                    "differ": values[0] != values[1],
                    # Pre-pick the other's value where the first has none.
                    "take_second": values[0] in (None, "") and values[1] not in (None, ""),
                }
            )
        label = registry.entity(entity).label
    return {
        "entity": entity,
        "label": label,
        "plural": PLURALS[entity],
        "records": records,
        "titles": [title_of(entity, record, label) for record in records],
        "rows": rows,
    }


router = APIRouter(include_in_schema=False)
can_merge = Depends(Authorize(P.CONTACTS_WRITE))


@router.get("/duplicates")
def candidates(request: Request, principal: Principal = can_merge) -> Response:
    container = container_of(request)
    sections = []
    now = utcnow()
    with container.read_session() as session:
        registry = container.registry_cache.get(session)
        for entity in ("contact", "lead"):
            found = duplicates.candidate_pairs(session, registry, entity)
            pairs = found.pairs
            ids = {each for pair in pairs for each in (pair.first_id, pair.second_id)}
            seen = reachable(session, entity, ids, principal)
            sections.append(
                {
                    "entity": entity,
                    "title": registry.entity(entity).plural.capitalize(),
                    "pairs": [p for p in pairs if {p.first_id, p.second_id} <= seen],
                    "check": found.check,
                    "checking": found.check.running(now),
                }
            )
    notice = (
        "Looking for duplicates again: reload in a moment."
        if "checking" in request.query_params
        else None
    )
    return render(request, "duplicates/list.html", {"sections": sections, "notice": notice})


@router.post("/duplicates/check")
def check_now(call: PageCall = page_call(P.CONTACTS_WRITE)) -> Response:
    """Both entities checked again at once (in the background)."""

    return call.run(
        lambda uow: duplicates.do_check_now(list(PLURALS), uow=uow),
        done="/duplicates?checking=1",
        failed=lambda exc: answer(call.request, exc),
    )


def _known(entity: str) -> None:
    if entity not in PLURALS:
        raise NotFound(f"No duplicates of {entity!r}", field="entity")


@router.get("/duplicates/{entity}/{first:int}/{second:int}")
def compare(
    request: Request, entity: str, first: int, second: int, principal: Principal = can_merge
) -> Response:
    _known(entity)
    context = _comparison(request, principal, entity, first, second)
    return render(request, "duplicates/merge.html", {**context, "error": None})


@router.post("/duplicates/{entity}/{first:int}/{second:int}")
def merge(
    entity: str, first: int, second: int, call: PageCall = page_call(P.CONTACTS_WRITE)
) -> Response:
    _known(entity)
    survivor, other = (second, first) if call.form.get("survivor") == "second" else (first, second)
    # A field's radio says which record's value the survivor keeps.
    pick_other = "second" if survivor == first else "first"
    take = [
        str(key)[len("pick_") :]
        for key, value in call.form.multi_items()
        if str(key).startswith("pick_") and value == pick_other
    ]

    def merged(uow: UnitOfWork) -> None:
        if not set(take) <= set(duplicates.mergeable_fields(uow.registry, entity)):
            raise NotFound("Unknown field picked", field="take")
        for each in (first, second):
            check_reach(uow.session, entity, each, call.principal)
        duplicates.do_merge(entity, survivor, other, take=take, uow=uow, by_user_id=call.user_id)

    def refused(exc: LeadflowError) -> Response:
        context = _comparison(call.request, call.principal, entity, first, second)
        return render(
            call.request,
            "duplicates/merge.html",
            {**context, "error": exc.message},
            status=exc.http_status,
        )

    return call.run(
        merged, done=f"/{PLURALS[entity]}/{survivor}?merged_from={other}", failed=refused
    )
