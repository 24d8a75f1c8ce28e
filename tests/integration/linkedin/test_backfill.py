"""Connecting backfills a year of responses page by page, through capture's matching."""

from __future__ import annotations

from sqlalchemy import select

from leadflow.bootstrap import Container
from leadflow.contacts.models import Contact
from leadflow.leads.models import Lead
from leadflow.linkedin.models import LinkedInResponse
from tests.support.fake_linkedin import FakeLinkedIn, response
from tests.support.linkedin import DAY_MS, NOW_MS, connect, connection


def _answers(email: str, first: str = "Ada") -> dict[int, str | list[int]]:
    return {
        11: first,
        12: "Lovelace",
        13: email,
        14: "Analytical Engines",
        15: "CTO",
        16: [2],
        17: "Pricing?",
    }


def test_a_connection_backfills_every_page_of_the_last_year(
    container: Container, fake: FakeLinkedIn
) -> None:
    fake.responses.extend(
        response(f"r{index:03}", 1, NOW_MS - index * DAY_MS, _answers(f"p{index}@example.com"))
        for index in range(120)
    )
    fake.responses.append(
        response("too-old", 1, NOW_MS - 400 * DAY_MS, _answers("old@example.com"))
    )

    connection_id = connect(container, fake)

    state = connection(container, connection_id)
    assert (state["status"], state["counts"]["created"], state["cursor"]) == ("ok", 120, None)
    pages = [item["query"]["start"] for item in fake.paths("/rest/leadFormResponses")]
    assert pages == ["0", "50", "100"]
    with container.read_session() as session:
        emails = set(session.scalars(select(Lead.email).where(Lead.source == "linkedin")))
        assert len(emails) == 120 and "old@example.com" not in emails


def test_mapped_answers_land_on_the_lead_and_its_new_contact(
    container: Container, fake: FakeLinkedIn
) -> None:
    fake.responses.append(
        response("r1", 1, NOW_MS - DAY_MS, _answers("ada@example.com"), consents={501: True})
    )

    connect(container, fake)

    with container.read_session() as session:
        [lead] = session.scalars(select(Lead))
        [contact] = session.scalars(select(Contact))
        [stored] = session.scalars(select(LinkedInResponse))
        assert (lead.first_name, lead.last_name, lead.email, lead.company_name, lead.job_title) == (
            "Ada",
            "Lovelace",
            "ada@example.com",
            "Analytical Engines",
            "CTO",
        )
        assert (lead.source, lead.topic, lead.campaign) == (
            "linkedin",
            "Whitepaper Q3",
            "LinkedIn campaign 77",
        )
        assert lead.parent_contact_id == contact.id
        assert (contact.email, contact.consent, contact.source) == (
            "ada@example.com",
            "marketing",
            "linkedin",
        )
        # Only mapped fields are saved: the custom question and the choice stay in the response.
        assert lead.description is None
        team = next(item for item in stored.answers if item["question_id"] == "16")
        assert team["value"] == "11-50"
        assert stored.consents == [
            {"id": "501", "label": "Ich möchte Marketing-E-Mails erhalten", "accepted": True}
        ]
        assert stored.attribution["hidden_fields"] == {
            "utm_source": "linkedin",
            "utm_campaign": "q3",
        }
        assert stored.raw is not None and stored.raw["id"] == "r1"


def test_leads_carry_their_campaigns_name_read_once_from_linkedin(
    container: Container, fake: FakeLinkedIn
) -> None:
    fake.campaigns["77"] = "Q3 whitepaper, DACH"
    fake.responses.extend(
        response(f"r{index}", 1, NOW_MS - (index + 1) * 60_000, _answers(f"p{index}@example.com"))
        for index in range(3)
    )
    fake.responses.append(
        response("other", 1, NOW_MS - 10 * 60_000, _answers("q@example.com"), campaign=88)
    )

    connect(container, fake)

    with container.read_session() as session:
        campaigns = list(session.scalars(select(Lead.campaign).order_by(Lead.id)))
    # Campaign 88 is not readable: its leads keep a label made of its id.
    assert campaigns == ["LinkedIn campaign 88", *["Q3 whitepaper, DACH"] * 3]
    reads = [item["path"] for item in fake.paths("/rest/adAccounts/")]
    assert reads == ["/rest/adAccounts/5001/adCampaigns/77", "/rest/adAccounts/5001/adCampaigns/88"]
