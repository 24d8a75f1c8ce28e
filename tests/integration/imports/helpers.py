"""Steps the import tests share: upload a CSV, run it here, read records back."""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import Any

from sqlalchemy import func, select

from leadflow.bootstrap import Container
from leadflow.contacts.models import Contact
from leadflow.imports.models import Import
from leadflow.imports.services import do_create_import, do_start_import, get_import
from leadflow.jobs.runner import run_job
from leadflow.leads.models import Lead


def csv_bytes(*lines: str) -> bytes:
    return ("\n".join(lines) + "\n").encode()


def upload(
    container: Container,
    entity: str,
    data: bytes,
    *,
    mapping: Mapping[str, Any] | None = None,
    options: Mapping[str, Any] | None = None,
    filename: str = "people.csv",
) -> int:
    with container.uow() as uow:
        imp = do_create_import(
            entity,
            filename,
            io.BytesIO(data),
            uow=uow,
            storage=container.settings.var_dir / "imports",
            mapping=mapping,
            options=options,
        )
        return imp.id


def run(container: Container, import_id: int) -> Import:
    with container.uow() as uow:
        job_id = do_start_import(import_id, uow=uow).id
    run_job(container, job_id)
    container.relay.drain()
    with container.read_session() as session:
        imp = get_import(session, import_id)
        session.expunge(imp)
        return imp


def contacts(container: Container) -> list[Contact]:
    with container.read_session() as session:
        rows = list(session.scalars(select(Contact).order_by(Contact.id)))
        session.expunge_all()
        return rows


def leads(container: Container) -> list[Lead]:
    with container.read_session() as session:
        rows = list(session.scalars(select(Lead).order_by(Lead.id)))
        session.expunge_all()
        return rows


def count(container: Container, model: Any) -> int:
    with container.read_session() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)
