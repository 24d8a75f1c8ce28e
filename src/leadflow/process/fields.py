"""The process' derived list field of a lead: the stage of its running process."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, select

from leadflow.leads.models import Lead
from leadflow.process.models import ProcessInstance
from leadflow.registry.derived import DerivedField, derived
from leadflow.registry.domain import FieldType


def _stage() -> ColumnElement[Any]:
    return (
        select(ProcessInstance.stage)
        .where(
            ProcessInstance.lead_id == Lead.id,
            ProcessInstance.current.is_(True),
            ProcessInstance.status == "active",
        )
        .limit(1)
        .scalar_subquery()
    )


DERIVED = (DerivedField(derived("lead", "stage", "Stage", FieldType.TEXT), _stage),)
