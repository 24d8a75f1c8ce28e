"""The saved-view builder and the lead list's score columns, through the pages."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from leadflow.bootstrap import Container
from leadflow.contacts.services import create_contact
from leadflow.leads.services import create_lead
from leadflow.scoring.models import LeadScore, ScoringModel
from tests.web.pages.test_pages import csrf_of, log_in, rows


def _scored_leads(container: Container) -> dict[str, int]:
    with container.uow() as uow:
        contact = create_contact({"email": "ada@example.test"}, uow=uow).id
        hot = create_lead({"topic": "Hot", "parent_contact_id": contact}, uow=uow).id
        cold = create_lead({"topic": "Cold", "parent_contact_id": contact}, uow=uow).id
        uow.commit()
    container.relay.drain()
    with container.uow() as uow:
        model = ScoringModel(name="Fit", definition={}, status="stopped", version=1)
        uow.session.add(model)
        uow.session.flush()
        for lead_id, score, grade in ((hot, 70, "A"), (cold, 20, "D")):
            uow.session.add(
                LeadScore(
                    lead_id=lead_id, model_id=model.id, score=score, grade=grade, model_version=1
                )
            )
        uow.commit()
    return {"hot": hot, "cold": cold}


def test_a_view_is_built_from_labels_and_lists_by_score(
    client: TestClient, container: Container
) -> None:
    ids = _scored_leads(container)
    log_in(client, container, "marketer")
    form = client.get("/views/new?entity=lead")
    assert form.status_code == 200
    # Fields by label, stages by name: nothing to type but the name and the threshold.
    assert '<option value="score">Score</option>' in form.text
    assert '<option value="last_activity_at">Last activity</option>' in form.text
    assert '"Sales acceptance"' in form.text

    saved = client.post(
        "/views/new",
        data={
            "csrf_token": csrf_of(form.text),
            "entity": "lead",
            "name": "Hot leads",
            "filter_field": ["score", "stage", ""],
            "filter_op": ["gte", "eq", "eq"],
            "filter_value": ["50", "inquiry", ""],
            "column": ["score", "grade", "stage", "owner_id"],
            "sort_field": "score",
            "sort_direction": "desc",
        },
        follow_redirects=False,
    )
    assert saved.status_code == 303
    target = saved.headers["location"]
    assert re.fullmatch(r"/leads\?view=\d+", target)

    page = client.get(target)
    assert page.status_code == 200
    assert rows(page.text) == [(f"/leads/{ids['hot']}", "Hot")]
    headers = re.findall(r'<th scope="col" class="[a-z_]+"[^>]*>\s*(?:<a[^>]*>)?([^<]+)', page.text)
    assert headers == ["Name", "Score", "Grade", "Stage", "Owner"]
    assert (
        '<td class="number">70</td><td class="text">A</td><td class="text">Inquiry</td>'
    ) in page.text


def test_the_list_sorts_and_filters_by_score_from_the_query(
    client: TestClient, container: Container
) -> None:
    ids = _scored_leads(container)
    log_in(client, container, "marketer")

    low_first = client.get("/leads", params={"view": "all", "sort": "score"})
    filtered = client.get(
        "/leads", params={"view": "all", "f_field": "score", "f_op": "lt", "f_value": "50"}
    )

    assert [href for href, _ in rows(low_first.text)] == [
        f"/leads/{ids['cold']}",
        f"/leads/{ids['hot']}",
    ]
    assert rows(filtered.text) == [(f"/leads/{ids['cold']}", "Cold")]
    assert '<option value="score" selected>Score</option>' in filtered.text


def test_a_view_with_an_unknown_column_is_refused_beside_the_builder(
    client: TestClient, container: Container
) -> None:
    log_in(client, container, "marketer")
    form = client.get("/views/new?entity=lead")

    refused = client.post(
        "/views/new",
        data={
            "csrf_token": csrf_of(form.text),
            "entity": "lead",
            "name": "Odd",
            "column": ["shoe_size"],
        },
    )

    assert refused.status_code == 422
    assert "No lead field &#39;shoe_size&#39;" in refused.text
    assert 'value="Odd"' in refused.text
