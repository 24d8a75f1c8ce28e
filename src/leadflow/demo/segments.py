"""Demo additions: the seed's example segment and a behaviour segment, live and built."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from leadflow.bootstrap import Container
from leadflow.demo.dataset import DemoLoaded
from leadflow.jobs.runner import run_or_wait
from leadflow.segments.models import Segment
from leadflow.segments.services import create_segment, go_live, member_counts

CONFERENCE_DECISION_MAKERS: dict[str, Any] = {
    "name": "Contoso conference decision makers",
    "description": (
        "Demo (the seed's example): contacts with a lead whose topic is "
        "'Contoso Ltd Conference', narrowed to decision makers."
    ),
    "kind": "dynamic",
    "definition": {
        "type": "group",
        "op": "and",
        "children": [
            {
                "type": "related",
                "relationship": "lead_parent_contact",
                "count": "any",
                "where": {
                    "type": "group",
                    "op": "and",
                    "children": [
                        {
                            "type": "field",
                            "field": "topic",
                            "op": "eq",
                            "value": ["Contoso Ltd Conference"],
                        }
                    ],
                },
            },
            {"type": "field", "field": "role", "op": "eq", "value": ["decision_maker"]},
        ],
    },
}

ENGAGED_CLICKERS: dict[str, Any] = {
    "name": "Engaged email clickers",
    "description": "Demo: clicked an email at least twice in the last 30 days.",
    "kind": "dynamic",
    "definition": {
        "type": "group",
        "op": "and",
        "children": [
            {
                "type": "behaviour",
                "kind": "email_clicked",
                "count": "at_least",
                "min": 2,
                "window_days": 30,
            }
        ],
    },
}

DEMO_SEGMENTS = (CONFERENCE_DECISION_MAKERS, ENGAGED_CLICKERS)


def extend(container: Container, loaded: DemoLoaded) -> list[str]:
    lines = []
    for data in DEMO_SEGMENTS:
        with container.uow() as uow:
            existing = uow.session.scalar(select(Segment.id).where(Segment.name == data["name"]))
            if existing is not None:
                continue
            segment = create_segment(data, uow=uow)
            uow.commit()
            segment_id = segment.id
        with container.uow() as uow:
            _segment, job = go_live(segment_id, uow=uow)
            uow.commit()
            job_id = job.id if job is not None else None
        if job_id is not None:
            # Run here unless a worker took it: the demo shows members without a worker.
            run_or_wait(container, job_id)
        with container.read_session() as session:
            count = member_counts(session, [segment_id]).get(segment_id, 0)
        lines.append(f"segment '{data['name']}' live: {count} members")
    return lines
