"""Process definitions: saved as versions of a key, loaded, exported, seeded."""

from __future__ import annotations

import threading
from dataclasses import replace
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import case, func, select, update
from sqlalchemy.orm import Session

from leadflow.db.uow import UnitOfWork, in_own_transaction
from leadflow.errors import Conflict, ErrorCode, NotFound
from leadflow.lib.clock import utcnow
from leadflow.process import domain
from leadflow.process.domain import (
    InstanceStatus,
    ProcessDefinition,
)
from leadflow.process.models import ProcessDefinitionRow, ProcessInstance
from leadflow.switches.domain import SWITCHES


def _latest_row(session: Session, key: str) -> ProcessDefinitionRow | None:
    return session.scalar(
        select(ProcessDefinitionRow)
        .where(ProcessDefinitionRow.key == key)
        .order_by(ProcessDefinitionRow.version.desc())
        .limit(1)
    )


def default_process_key(session: Session) -> str:
    key = session.scalar(
        select(ProcessDefinitionRow.key).where(ProcessDefinitionRow.is_default.is_(True)).limit(1)
    )
    return key or domain.DEFAULT_PROCESS_KEY


def load_definition(session: Session, key: str, version: int | None = None) -> ProcessDefinition:
    if version is None:
        row = _latest_row(session, key)
    else:
        row = session.scalar(
            select(ProcessDefinitionRow).where(
                ProcessDefinitionRow.key == key, ProcessDefinitionRow.version == version
            )
        )
    if row is None:
        raise NotFound(f"No process '{key}'", field="process_key")
    return domain.parse_definition(row.body)


def list_definitions(session: Session) -> list[ProcessDefinitionRow]:
    """The version in force of every process."""
    latest = (
        select(ProcessDefinitionRow.key, func.max(ProcessDefinitionRow.version).label("version"))
        .group_by(ProcessDefinitionRow.key)
        .subquery()
    )
    return list(
        session.scalars(
            select(ProcessDefinitionRow)
            .join(
                latest,
                (latest.c.key == ProcessDefinitionRow.key)
                & (latest.c.version == ProcessDefinitionRow.version),
            )
            .order_by(ProcessDefinitionRow.name)
        )
    )


# What identifies the definitions in force and the default: versions are only ever
# added (a new row), and the default moves by an UPDATE of `is_default`.
_DEFINITIONS_STAMP = select(
    func.count(),
    func.max(ProcessDefinitionRow.id),
    func.max(case((ProcessDefinitionRow.is_default.is_(True), ProcessDefinitionRow.id))),
)
_in_force: WeakKeyDictionary[object, tuple[Any, dict[str, ProcessDefinition], str]] = (
    WeakKeyDictionary()
)
_in_force_lock = threading.Lock()


def definitions_in_force(session: Session) -> tuple[dict[str, ProcessDefinition], str]:
    """The version in force of every process, parsed, and the default process's key:
    kept per process (per engine) and read again only when a version was added or the
    default moved, which one small aggregate tells (the relay's process handler asks
    for every batch: reading and parsing every definition each time was a cost of its
    own). What another process saved shows at the next batch, as before."""
    stamp = tuple(session.execute(_DEFINITIONS_STAMP).one())
    engine = session.get_bind()
    with _in_force_lock:
        kept = _in_force.get(engine)
    if kept is not None and kept[0] == stamp:
        return kept[1], kept[2]
    definitions = {row.key: domain.parse_definition(row.body) for row in list_definitions(session)}
    default_key = default_process_key(session)
    with _in_force_lock:
        _in_force[engine] = (stamp, definitions, default_key)
    return definitions, default_key


def save_definition(
    data: Any, *, uow: UnitOfWork, make_default: bool = False
) -> ProcessDefinitionRow:
    """Validate and store a definition as the next version of its key (import, edit)."""
    known = [definition.name for definition in uow.registry.fields_of("lead")]
    parsed = domain.parse_definition(data, known_fields=known, known_switches=SWITCHES)
    previous = _latest_row(uow.session, parsed.key)
    version = previous.version + 1 if previous is not None else 1
    parsed = replace(parsed, version=version)
    if previous is not None:
        _check_stages_kept(uow.session, parsed)
    if make_default:
        uow.session.execute(update(ProcessDefinitionRow).values(is_default=False))
    row = ProcessDefinitionRow(
        key=parsed.key,
        version=version,
        name=parsed.name,
        entity=parsed.entity,
        body=domain.definition_to_data(parsed),
        is_default=make_default or (previous is not None and previous.is_default),
        created_at=utcnow(),
    )
    uow.session.add(row)
    uow.session.flush()
    return row


def set_transition_enabled(
    process_key: str, transition_key: str, enabled: bool, *, uow: UnitOfWork
) -> ProcessDefinitionRow:
    """Switch one automatic transition on or off: the definition's next version."""
    data = export_definition(uow.session, process_key)
    for transition in data["transitions"]:
        if transition["key"] == transition_key:
            transition["enabled"] = enabled
            return save_definition(data, uow=uow)
    raise NotFound(f"Process '{process_key}' has no transition '{transition_key}'", field="key")


def _check_stages_kept(session: Session, definition: ProcessDefinition) -> None:
    """A new version may not drop a stage that instances stand in."""
    keys = [stage.key for stage in definition.stages]
    in_use = session.scalar(
        select(ProcessInstance.stage)
        .where(
            ProcessInstance.process_key == definition.key,
            ProcessInstance.status == InstanceStatus.ACTIVE,
            ProcessInstance.stage.not_in(keys),
        )
        .limit(1)
    )
    if in_use is not None:
        raise Conflict(
            f"Leads stand in stage '{in_use}', which this version drops",
            field="stages",
            code=ErrorCode.STAGE_IN_USE,
        )


def export_definition(session: Session, key: str) -> dict[str, Any]:
    return domain.definition_to_data(load_definition(session, key))


def seed_default_process(uow: UnitOfWork) -> None:
    if _latest_row(uow.session, domain.DEFAULT_PROCESS_KEY) is None:
        save_definition(domain.DEFAULT_PROCESS, uow=uow, make_default=True)


# Use cases: what faces call; each opens the unit of work and commits it.
do_save_definition = in_own_transaction(save_definition)
do_set_transition_enabled = in_own_transaction(set_transition_enabled)
