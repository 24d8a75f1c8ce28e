"""The dashboard funnel counts every stage's exits forward and the qualified and won ends."""

from __future__ import annotations

from leadflow.bootstrap import Container
from leadflow.dashboard import services as dashboard
from leadflow.opportunities.services import update_opportunity
from leadflow.sales import services as sales
from tests.integration.process.helpers import new_lead, tick
from tests.support.factories import user_with_token


def test_a_qualified_and_won_lead_shows_at_the_end_of_the_funnel(container: Container) -> None:
    seller_id, _, _ = user_with_token(container, "salesperson")
    won_lead, qualified_only, waiting = (
        new_lead(container),
        new_lead(container),
        new_lead(container),
    )
    for lead_id in (won_lead, qualified_only, waiting):
        tick(container, lead_id, sales_ready=True)
    opportunity_ids = []
    for lead_id in (won_lead, qualified_only):
        with container.uow() as uow:
            sales.accept_lead(lead_id, seller_id, uow=uow)
            opportunity_ids.append(sales.qualify_lead(lead_id, uow=uow).opportunity_id)
            uow.commit()
        container.relay.drain()
    with container.uow() as uow:
        assert opportunity_ids[0] is not None
        update_opportunity(opportunity_ids[0], {"status": "won"}, uow=uow)
        uow.commit()
    container.relay.drain()
    with container.read_session() as session:
        rows = {row["stage"]: row for row in dashboard.dashboard(session)["funnel"]}
    acceptance = rows["sales_acceptance"]
    assert (acceptance["now_in_stage"], acceptance["entered"], acceptance["moved_on"]) == (1, 3, 2)
    assert round(acceptance["conversion"], 3) == round(2 / 3, 3)
    # Sales-ready leads skip the telemarketing stages: leaving inquiry for acceptance counts.
    assert (rows["inquiry"]["entered"], rows["inquiry"]["moved_on"]) == (3, 3)
    assert [key for key in rows][-2:] == ["qualified", "won"]
    assert (rows["qualified"]["entered"], rows["qualified"]["moved_on"]) == (2, 1)
    assert rows["qualified"]["conversion"] == 0.5
    assert (rows["won"]["entered"], rows["won"]["conversion"]) == (1, None)
