"""What every planned contact did: lead forms, event visits, email opens and clicks, page visits."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from leadflow.demo.plan._content import (
    CONFERENCE,
    CONFERENCE_DAY,
    EMAIL_SENDS,
    LINKEDIN,
    WEBINAR,
    WEBINAR_DAY,
    WEBSITE,
    WEBSITE_PAGES,
    WEBSITE_VISITS,
    WHITEPAPER,
    _Person,
)
from leadflow.demo.plan._planner import _Planner
from leadflow.interactions.domain import InteractionKind


def _interaction(
    planner: _Planner,
    person: int,
    kind: InteractionKind,
    target: str,
    at: datetime,
    *,
    lead: int | None = None,
    url: str | None = None,
) -> None:
    values: dict[str, Any] = {
        "contact_id": person,
        "kind": kind.value,
        "target_id": target,
        "occurred_at": min(at, planner.now - timedelta(minutes=1)),
    }
    if lead is not None:
        values["lead_id"] = lead
    if url is not None:
        values["data"] = {"url": WEBSITE + url}
    planner.plan.interactions.append(values)


def _plan_interactions(planner: _Planner) -> None:
    """Every contact's interactions: the leads' own, the email sends' with their opens and
    clicks, and website visits; in time order."""
    rng = planner.rng
    for lead_index, meta in enumerate(planner.lead_meta):
        person, campaign, created = meta.person, meta.campaign, meta.created
        if person is None:
            continue
        if campaign is WHITEPAPER:
            visit = created - timedelta(minutes=rng.uniform(0.2, 0.9))
            _interaction(
                planner, person, InteractionKind.PAGE_VISITED, "1", visit, lead=lead_index,
                url="/whitepaper",
            )  # fmt: skip
            _interaction(
                planner, person, InteractionKind.FORM_SUBMITTED, "1", created, lead=lead_index
            )
        elif campaign is LINKEDIN:
            _interaction(
                planner, person, InteractionKind.FORM_SUBMITTED, "linkedin-form-1", created,
                lead=lead_index,
            )  # fmt: skip
        elif campaign in (CONFERENCE, WEBINAR):
            event = str(campaign.event_id)
            _interaction(
                planner, person, InteractionKind.EVENT_REGISTERED, event, created, lead=lead_index
            )
            day, turnout = (CONFERENCE_DAY, 0.7) if campaign is CONFERENCE else (WEBINAR_DAY, 0.55)
            if rng.random() < turnout:
                start = planner.ago(day) + timedelta(hours=rng.uniform(0, 2))
                _interaction(
                    planner, person, InteractionKind.EVENT_ATTENDED, event, start, lead=lead_index
                )
    conference_leads = {
        meta.person: lead_index
        for lead_index, meta in enumerate(planner.lead_meta)
        if meta.campaign is CONFERENCE and meta.person is not None
    }
    for target, days, page, registrants_only in EMAIL_SENDS:
        sent_at = planner.ago(days)
        for index, reader in enumerate(planner.people):
            if reader.do_not_email or reader.consent not in ("marketing", "profiling"):
                continue
            if reader.created is not None and reader.created > sent_at:
                continue
            lead = conference_leads.get(index)
            if registrants_only and lead is None:
                continue
            _email(planner, index, reader, target, sent_at, page, lead)
    for _ in range(WEBSITE_VISITS):
        index = rng.randrange(len(planner.people))
        created = planner.people[index].created or planner.ago(90)
        at = planner.between(90, 0.01)
        if at < created:
            continue
        page = rng.choice(WEBSITE_PAGES)
        _interaction(planner, index, InteractionKind.WEBSITE_VISITED, page, at, url=page)
    planner.plan.interactions.sort(key=lambda values: values["occurred_at"])


def _email(
    planner: _Planner,
    index: int,
    person: _Person,
    target: str,
    sent_at: datetime,
    page: str,
    lead: int | None,
) -> None:
    rng = planner.rng
    at = sent_at + timedelta(minutes=rng.uniform(0, 30))
    _interaction(planner, index, InteractionKind.EMAIL_SENT, target, at, lead=lead)
    if rng.random() > 0.97:
        return
    at += timedelta(minutes=rng.uniform(0.1, 4))
    _interaction(planner, index, InteractionKind.EMAIL_DELIVERED, target, at, lead=lead)
    opens = 0.45 if person.consent == "profiling" else 0.33
    if rng.random() > opens:
        return
    at += timedelta(hours=rng.expovariate(1 / 10))
    if at >= planner.now:
        return
    _interaction(planner, index, InteractionKind.EMAIL_OPENED, target, at, lead=lead)
    if rng.random() > 0.22:
        return
    at += timedelta(seconds=rng.uniform(5, 300))
    _interaction(planner, index, InteractionKind.EMAIL_CLICKED, target, at, lead=lead, url=page)
    if rng.random() < 0.85:
        at += timedelta(seconds=rng.uniform(1, 20))
        _interaction(planner, index, InteractionKind.PAGE_VISITED, page, at, lead=lead, url=page)
