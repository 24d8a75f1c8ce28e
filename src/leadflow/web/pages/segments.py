"""Pages of segments: the list, one segment (tree builder, members, history, versions),
why a contact is in or out, and the panel on the contact page.

The tree builder is a small script (static/segments.js) over the registry's fields
and relationships, embedded in the page as JSON: the person picks relationships,
fields by label, operators by type and values with a widget fit for the type; the
script keeps the tree in a hidden field that the form posts, and asks the API for
the estimated size as the tree changes. Nobody types JSON.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from markupsafe import Markup
from sqlalchemy.orm import Session
from starlette.datastructures import FormData, UploadFile

from leadflow.db.uow import UnitOfWork
from leadflow.errors import ErrorCode, LeadflowError, ValidationFailed
from leadflow.interactions.domain import InteractionKind
from leadflow.jobs.services import job_public
from leadflow.registry.domain import Registry
from leadflow.segments import services
from leadflow.segments.domain import (
    OP_LABELS,
    OPS_BY_TYPE,
    QUERY_ENTITIES,
    SegmentKind,
    SegmentStatus,
    query_registry,
    relationships_from,
)
from leadflow.segments.explain import explain_membership
from leadflow.segments.models import Segment
from leadflow.users.domain import Permission, role_allows
from leadflow.users.services import Principal
from leadflow.web.auth import Authorize, container_of
from leadflow.web.calls import PageCall, UseCase, page_call, see_other
from leadflow.web.pages.panels import PanelContext, detail_panel, render_fragment
from leadflow.web.pages.render import render

PAGE_SIZE = 25
MAX_CSV_BYTES = 2_000_000


def builder_schema(registry: Registry) -> dict[str, Any]:
    """What the tree builder offers: each entity's fields (label, type, options), the
    relationships from each entity, the operators per type, the interaction kinds."""
    registry = query_registry(registry)
    entities: dict[str, Any] = {}
    for name in QUERY_ENTITIES:
        entity = registry.entities[name]
        fields = [
            {
                "name": d.name,
                "label": d.label,
                "type": d.type.value,
                "options": list(d.options),
            }
            for d in registry.fields_of(name)
            if d.filterable and d.type in OPS_BY_TYPE
        ]
        fields.sort(key=lambda item: (item["name"] == "id", str(item["label"]).lower()))
        relations = [
            {
                "name": rel.name,
                "label": f"{registry.entities[link.entity].label} ({rel.label})",
                "entity": link.entity,
                "many": link.many,
            }
            for rel, link in relationships_from(registry, name)
        ]
        entities[name] = {
            "label": entity.label,
            "plural": entity.plural,
            "fields": fields,
            "relationships": relations,
        }
    return {
        "entities": entities,
        "ops": {
            kind.value: [[op.value, OP_LABELS[op.value]] for op in ops]
            for kind, ops in OPS_BY_TYPE.items()
        },
        "kinds": [kind.value for kind in InteractionKind],
    }


def _json_script(value: Any) -> Markup:
    # Inside <script type="application/json">: only "</" could end the element early.
    text = json.dumps(value).replace("</", "<\\/")
    return Markup(text)


def _text(form: FormData | Mapping[str, Any], name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def _definition_from(form: FormData) -> Any:
    raw = _text(form, "definition")
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        raise ValidationFailed(
            "The query could not be read", field="definition", code=ErrorCode.MALFORMED_JSON
        ) from None


def _detail_context(
    session: Session,
    registry: Registry,
    segment: Segment,
    principal: Principal,
    *,
    search: str,
    offset: int,
) -> dict[str, Any]:
    counts = services.member_counts(session, [segment.id])
    latest = services.latest_build(session, segment.id)
    members = services.members(
        session, registry, segment.id, search=search or None, offset=offset, limit=PAGE_SIZE
    )
    others = [
        {"id": other.id, "name": other.name}
        for other in services.list_segments(session)
        if other.id != segment.id
        and other.status == SegmentStatus.LIVE.value
        and other.kind != SegmentKind.COMPOUND.value
    ]
    names = {item["id"]: item["name"] for item in others}
    parts = [
        {**part, "name": names.get(part["segment_id"], f"Segment {part['segment_id']}")}
        for part in segment.parts
    ]
    return {
        "segment": services.segment_public(segment, counts.get(segment.id, 0)),
        "job": job_public(latest) if latest else None,
        "problems": services.check_segment(segment, registry),
        "members": members,
        "search": search,
        "offset": offset,
        "page_size": PAGE_SIZE,
        "history": services.history(session, segment.id, limit=50),
        "versions": services.versions(session, segment.id),
        "others": others,
        "parts": parts,
        "schema": _json_script(builder_schema(registry)),
        "tree": _json_script(segment.definition),
        "can_write": role_allows(principal.role, Permission.SEGMENTS_WRITE),
    }


router = APIRouter(include_in_schema=False)
can_read = Authorize(Permission.SEGMENTS_READ)
writing = page_call(Permission.SEGMENTS_WRITE)


def _index(request: Request, principal: Principal, error: LeadflowError | None = None) -> Response:
    with container_of(request).read_session() as session:
        counts = services.member_counts(session)
        items = [
            services.segment_public(s, counts.get(s.id, 0)) for s in services.list_segments(session)
        ]
    return render(
        request,
        "segments/index.html",
        {
            "segments": items,
            "can_write": role_allows(principal.role, Permission.SEGMENTS_WRITE),
            "error": error,
        },
        status=error.http_status if error else 200,
    )


@router.get("/segments")
def index(request: Request, principal: Principal = Depends(can_read)) -> Response:
    return _index(request, principal)


@router.post("/segments/new")
def create(call: PageCall = writing) -> Response:
    data = {
        "name": call.text("name"),
        "kind": call.text("kind") or "dynamic",
        "description": call.text("description") or None,
    }
    return call.run(
        lambda uow: services.do_create_segment(data, uow=uow, created_by=call.user_id),
        done=lambda segment: see_other(f"/segments/{segment.id}"),
        failed=lambda exc: _index(call.request, call.principal, exc),
    )


def _detail(
    request: Request,
    principal: Principal,
    segment_id: int,
    *,
    error: LeadflowError | None = None,
    search: str = "",
    offset: int = 0,
    notice: str | None = None,
) -> Response:
    container = container_of(request)
    with container.read_session() as session:
        registry = container.registry_cache.get(session)
        segment = services.get_segment(session, segment_id)
        context = _detail_context(
            session, registry, segment, principal, search=search, offset=offset
        )
    context["error"] = error
    context["notice"] = notice
    return render(
        request,
        "segments/detail.html",
        context,
        status=error.http_status if error else 200,
    )


@router.get("/segments/{segment_id:int}")
def show(
    request: Request,
    segment_id: int,
    q: str = "",
    offset: int = 0,
    notice: str = "",
    principal: Principal = Depends(can_read),
) -> Response:
    return _detail(
        request,
        principal,
        segment_id,
        search=q[:200],
        offset=max(0, min(offset, 10_000_000)),
        notice=notice[:200] or None,
    )


def _act(call: PageCall, segment_id: int, use_case: UseCase[object], notice: str) -> Response:
    return call.run(
        use_case,
        done=f"/segments/{segment_id}?notice={notice}",
        failed=lambda exc: _detail(call.request, call.principal, segment_id, error=exc),
    )


@router.post("/segments/{segment_id:int}/definition")
def save_definition(segment_id: int, call: PageCall = writing) -> Response:
    def save(uow: UnitOfWork) -> object:
        data: dict[str, Any] = {
            "name": call.text("name"),
            "description": call.text("description") or None,
        }
        definition = _definition_from(call.form)
        if definition is not None:
            data["definition"] = definition
        return services.do_update_segment(segment_id, data, uow=uow, requested_by=call.user_id)

    return _act(call, segment_id, save, "saved")


@router.post("/segments/{segment_id:int}/parts")
def save_parts(segment_id: int, call: PageCall = writing) -> Response:
    ids = call.form.getlist("part_segment")
    ops = call.form.getlist("part_op")
    parts = [
        {"segment_id": int(sid), "op": str(op)}
        for sid, op in zip(ids, ops, strict=False)
        if isinstance(sid, str) and sid.isdigit()
    ]
    return _act(
        call,
        segment_id,
        lambda uow: services.do_update_segment(
            segment_id, {"parts": parts}, uow=uow, requested_by=call.user_id
        ),
        "saved",
    )


@router.post("/segments/{segment_id:int}/go-live")
def go_live(segment_id: int, call: PageCall = writing) -> Response:
    return _act(
        call,
        segment_id,
        lambda uow: services.do_go_live(segment_id, uow=uow, requested_by=call.user_id),
        "live",
    )


@router.post("/segments/{segment_id:int}/stop")
def stop(segment_id: int, call: PageCall = writing) -> Response:
    return _act(
        call,
        segment_id,
        lambda uow: services.do_stop_segment(segment_id, uow=uow),
        "stopped",
    )


@router.post("/segments/{segment_id:int}/build")
def build(segment_id: int, call: PageCall = writing) -> Response:
    return _act(
        call,
        segment_id,
        lambda uow: services.do_start_build(segment_id, uow=uow, requested_by=call.user_id),
        "rebuilding",
    )


@router.post("/segments/{segment_id:int}/delete")
def delete(segment_id: int, call: PageCall = writing) -> Response:
    return call.run(
        lambda uow: services.do_delete_segment(segment_id, uow=uow),
        done="/segments",
        failed=lambda exc: _detail(call.request, call.principal, segment_id, error=exc),
    )


@router.post("/segments/{segment_id:int}/members")
def add_members(segment_id: int, call: PageCall = writing) -> Response:
    emails = [line for line in call.text("emails").replace(",", "\n").splitlines()]
    upload = call.form.get("csv")
    if isinstance(upload, UploadFile) and upload.filename:
        content = upload.file.read(MAX_CSV_BYTES).decode("utf-8", errors="replace")
        emails.extend(_csv_emails(content))
    remove = call.text("mode") == "remove"
    change = services.do_remove_members if remove else services.do_add_members
    return _act(
        call,
        segment_id,
        lambda uow: change(segment_id, uow=uow, emails=emails),
        "removed" if remove else "added",
    )


@router.get("/segments/{segment_id:int}/contacts/{contact_id:int}")
def explain(
    request: Request,
    segment_id: int,
    contact_id: int,
    principal: Principal = Depends(can_read),
) -> Response:
    container = container_of(request)
    with container.read_session() as session:
        registry = container.registry_cache.get(session)
        result = explain_membership(session, registry, segment_id, contact_id)
        contact = services.contact_name(session, contact_id)
    return render(request, "segments/explain.html", {"explain": result, "contact_name": contact})


def routers() -> list[APIRouter]:
    return [router]


def _csv_emails(content: str) -> list[str]:
    """The email column of an uploaded CSV (a column named email, else the first)."""
    import csv
    import io

    rows = list(csv.reader(io.StringIO(content)))
    if not rows:
        return []
    header = [cell.strip().lower() for cell in rows[0]]
    column = header.index("email") if "email" in header else 0
    body = rows[1:] if "email" in header else rows
    return [row[column] for row in body if len(row) > column and row[column].strip()]


@detail_panel("contact", order=60, key="segments")
def contact_segments_panel(context: PanelContext) -> Markup | None:
    if not role_allows(context.principal.role, Permission.SEGMENTS_READ):
        return None
    items = services.segments_of_contact(context.session, context.registry, context.record_id)
    return render_fragment("segments/contact_panel.html", items=items, contact_id=context.record_id)
