"""`leadflow duplicates` and `leadflow activities` from the shell."""

from __future__ import annotations

from sqlalchemy import select

from leadflow.bootstrap import Container
from leadflow.contacts.models import Contact
from leadflow.contacts.services import create_contact
from leadflow.leads.services import create_lead
from tests.support.cli_fixtures import RunCli


def test_duplicates_are_listed_and_merged(run_cli: RunCli, container: Container) -> None:
    with container.uow() as uow:
        first = create_contact({"email": "twin@example.test", "last_name": "One"}, uow=uow).id
        second = create_contact({"email": "twin@example.test", "last_name": "Two"}, uow=uow).id
        uow.commit()
    listed = run_cli("duplicates", "list", "contact")
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.startswith(f"{first}\t{second}\t2\tEmail\t")
    merged = run_cli(
        "duplicates", "merge", "contact", str(first), str(second), "--take", "last_name"
    )
    assert merged.returncode == 0, merged.stderr
    with container.read_session() as session:
        rows = {
            row_id: name for row_id, name in session.execute(select(Contact.id, Contact.last_name))
        }
        marked = session.scalar(select(Contact.merged_into_id).where(Contact.id == second))
    assert rows == {first: "Two", second: "Two"} and marked == first
    again = run_cli("duplicates", "merge", "contact", str(first), str(second))
    assert again.returncode == 2 and "error already_merged" in again.stderr


def test_a_call_and_a_note_from_the_shell(run_cli: RunCli, container: Container) -> None:
    with container.uow() as uow:
        lead_id = create_lead({"last_name": "Caller"}, uow=uow).id
        uow.commit()
    logged = run_cli("activities", "log-call", str(lead_id), "--outcome", "reached")
    assert logged.returncode == 0, logged.stderr
    assert logged.stdout.strip().endswith(f"logged on lead {lead_id}")
    refused = run_cli("activities", "log-call", str(lead_id), "--outcome", "maybe")
    assert refused.returncode == 2 and "[field outcome]" in refused.stderr
    noted = run_cli("activities", "note", "lead", str(lead_id), "Call after lunch")
    assert noted.returncode == 0, noted.stderr
