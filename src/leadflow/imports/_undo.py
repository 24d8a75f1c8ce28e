"""Undoing an import from its change records, set-based, per chunk of records.

Changed fields come back where the record still holds what the import wrote;
records the import created are deleted, leads first, then contacts and accounts
no other record points at. Whatever is left alone is reported. Deleted
interactions are told per contact (`InteractionsRemoved`), so scoring takes back
the points they credited and segments recheck who did what.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import Table, bindparam, delete, select, update
from sqlalchemy.orm import Session

from leadflow.accounts.events import AccountDeleted, AccountUpdated
from leadflow.bus import Event
from leadflow.contacts.events import ContactDeleted, ContactUpdated
from leadflow.db.uow import UnitOfWork
from leadflow.imports.domain import comparable, created_lines
from leadflow.imports.models import ImportChange
from leadflow.interactions.events import InteractionsRemoved
from leadflow.leads.events import LeadDeleted, LeadUpdated
from leadflow.lib.clock import utcnow
from leadflow.registry.sql import table_for

_CHANGES = cast(Table, ImportChange.__table__)
CHUNK = 1000


def _updated(entity: str, record_id: int, changed: tuple[str, ...]) -> Event:
    if entity == "contact":
        return ContactUpdated(contact_id=record_id, changed=changed)
    if entity == "lead":
        return LeadUpdated(lead_id=record_id, changed=changed)
    return AccountUpdated(account_id=record_id, changed=changed)


def _deleted(entity: str, record_id: int) -> Event:
    if entity == "contact":
        return ContactDeleted(contact_id=record_id)
    if entity == "lead":
        return LeadDeleted(lead_id=record_id)
    return AccountDeleted(account_id=record_id)


# The order of an undo: restores first, then deletes of created records, leads before
# the contacts and accounts they point at. A resumed undo job continues at its phase.
PHASES: tuple[tuple[str, str], ...] = tuple(
    [("updated", entity) for entity in ("lead", "contact", "account")]
    + [("created", entity) for entity in ("interaction", "lead", "contact", "account")]
)
MAX_KEPT = 1000


def new_report() -> dict[str, Any]:
    return {"deleted": 0, "restored": 0, "kept": [], "kept_count": 0}


def undo_changes(uow: UnitOfWork, import_id: int) -> dict[str, Any]:
    """Page through the change records (never all in memory), in one unit."""
    report = new_report()
    for phase in range(len(PHASES)):
        after = 0
        while (step := undo_page(uow, import_id, phase, after, report)) is not None:
            after = step[0]
    return report


def undo_page(
    uow: UnitOfWork, import_id: int, phase: int, after: int, report: dict[str, Any]
) -> tuple[int, int] | None:
    """Undo one page of the phase's change records past change id `after`; returns
    (the last change id, how many records it named: `change_count`'s unit), or None
    when the phase has no more. Undoing a page again changes nothing: a field already
    back to its old value is passed, a record already deleted is not found."""
    action, entity = PHASES[phase]
    page = _page(uow, import_id, entity, action, after)
    if not page:
        return None
    if action == "updated":
        _restore(uow, entity, page, report)
    else:
        page = _created_page(page)
        ids = {record_id for row in page for record_id in _created_ids(row)}
        _delete(uow, entity, sorted(ids), report)
    return int(page[-1].id), sum(_span(row) for row in page)


def _span(change: Any) -> int:
    """How many records a change record names, counted as `change_count` does: a
    chunk's created records by their span of ids (a gap is a key another writer won)."""
    if change.last_record_id is None:
        return 1
    return int(change.last_record_id) - int(change.record_id) + 1


def _created_page(page: Sequence[Any]) -> list[Any]:
    """Of a page of created records, the first rows that name about CHUNK records (a
    chunk's row names up to a few thousand): one page deletes that many at most."""
    kept: list[Any] = []
    count = 0
    for row in page:
        if kept and count >= CHUNK:
            break
        kept.append(row)
        count += _span(row)
    return kept


def _created_ids(change: Any) -> list[int]:
    """The ids a change record of created records names: its own record, or a chunk's."""
    if change.last_record_id is None:
        return [int(change.record_id)]
    return list(created_lines((change.after or {}).get("runs", [])))


def _keep(report: dict[str, Any], item: dict[str, Any]) -> None:
    report["kept_count"] = int(report.get("kept_count", 0)) + 1
    if len(report["kept"]) < MAX_KEPT:
        report["kept"].append(item)


def _page(uow: UnitOfWork, import_id: int, entity: str, action: str, after: int) -> list[Any]:
    return list(
        uow.session.execute(
            select(
                _CHANGES.c.id,
                _CHANGES.c.record_id,
                _CHANGES.c.before,
                _CHANGES.c.after,
                _CHANGES.c.line,
                _CHANGES.c.last_record_id,
            )
            .where(
                _CHANGES.c.import_id == import_id,
                _CHANGES.c.entity == entity,
                _CHANGES.c.action == action,
                _CHANGES.c.id > after,
            )
            .order_by(_CHANGES.c.id)
            .limit(CHUNK)
        ).all()
    )


def _restore(uow: UnitOfWork, entity: str, changes: Sequence[Any], report: dict[str, Any]) -> None:
    """Put back each change's earlier values where the record still holds what the import
    wrote; the rest is reported as kept. One UPDATE per set of columns restored."""
    table = table_for(entity)
    current = _current_records(uow.session, table, changes)
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    now = utcnow()
    for change in changes:
        record = current.get(int(change.record_id))
        if record is None:
            _keep(
                report,
                {"entity": entity, "id": change.record_id, "line": change.line,
                 "reason": "deleted since"},
            )  # fmt: skip
            continue
        values, restored = _restored_values(entity, change, record, report)
        if not values:
            continue
        values["updated_at"] = now
        groups.setdefault(tuple(sorted(values)), []).append(
            {"_id": int(change.record_id), **values}
        )
        report["restored"] += len(restored)
        uow.publish(_updated(entity, int(change.record_id), tuple(sorted(restored))))
    for key, params in groups.items():
        statement = (
            update(table)
            .where(table.c.id == bindparam("_id"))
            .values({name: bindparam(name) for name in key})
        )
        uow.session.connection().execute(statement, params)


def _current_records(session: Session, table: Table, changes: Sequence[Any]) -> dict[int, Any]:
    """The changed records as they stand now: the columns the changes wrote and `custom`."""
    names = sorted({name for change in changes for name in (change.after or {}) if "." not in name})
    columns = [name for name in names if name in table.c]
    return {
        int(row[0]): row
        for row in session.execute(
            select(table.c.id, table.c.custom, *(table.c[name] for name in columns)).where(
                table.c.id.in_(sorted({int(change.record_id) for change in changes}))
            )
        )
    }


def _restored_values(
    entity: str, change: Any, record: Any, report: dict[str, Any]
) -> tuple[dict[str, Any], list[str]]:
    """The column values that undo one change, and the fields they restore; a field changed
    since the import is reported as kept."""
    values: dict[str, Any] = {}
    custom = dict(record.custom or {})
    custom_changed = False
    restored: list[str] = []
    for name, written in (change.after or {}).items():
        old = (change.before or {}).get(name)
        if name.startswith("custom."):
            short = name[7:]
            now_value = comparable(custom.get(short))
            if now_value == written and now_value != old:
                if old is None:
                    custom.pop(short, None)
                else:
                    custom[short] = old
                custom_changed = True
                restored.append(short)
            elif now_value != old:
                _keep(report, _kept(entity, change, short))
            continue
        now_value = comparable(getattr(record, name))
        if now_value == old:
            continue  # already restored (an undo resumed after this page)
        if now_value == written:
            values[name] = old
            restored.append(name)
            if name == "email":
                values["email_normalized"] = str(old).strip().casefold() if old else None
            if name == "phone":
                values["phone_raw"] = old
        else:
            _keep(report, _kept(entity, change, name))
    if custom_changed:
        values["custom"] = custom
    return values, restored


def _kept(entity: str, change: Any, name: str) -> dict[str, Any]:
    return {
        "entity": entity,
        "id": int(change.record_id),
        "line": int(change.line),
        "field": name,
        "reason": "changed since the import",
    }


def _delete(uow: UnitOfWork, entity: str, ids: list[int], report: dict[str, Any]) -> None:
    session = uow.session
    table = table_for(entity)
    leads = table_for("lead")
    blocked: set[int] = set()
    if entity == "contact":
        blocked = set(
            session.scalars(
                select(leads.c.parent_contact_id).where(leads.c.parent_contact_id.in_(ids))
            )
        )
    if entity == "account":
        blocked = set(
            session.scalars(
                select(leads.c.parent_account_id).where(leads.c.parent_account_id.in_(ids))
            )
        )
    for record_id in sorted(blocked):
        _keep(report, {"entity": entity, "id": record_id, "reason": "other leads point at it"})
    doomed = [record_id for record_id in ids if record_id not in blocked]
    if not doomed:
        return
    if entity == "interaction":
        _delete_interactions(uow, doomed, report)
        return
    gone = list(session.scalars(delete(table).where(table.c.id.in_(doomed)).returning(table.c.id)))
    report["deleted"] += len(gone)
    uow.publish(*(_deleted(entity, int(record_id)) for record_id in sorted(gone)))


def _delete_interactions(uow: UnitOfWork, ids: list[int], report: dict[str, Any]) -> None:
    """One statement deletes the page's interactions and says whose they were; each
    contact's removal is published once, with the kinds it lost."""
    table = table_for("interaction")
    gone = uow.session.execute(
        delete(table).where(table.c.id.in_(ids)).returning(table.c.contact_id, table.c.kind)
    ).all()
    report["deleted"] += len(gone)
    lost: dict[int, list[str]] = {}
    for contact_id, kind in gone:
        lost.setdefault(int(contact_id), []).append(str(kind))
    uow.publish(
        *(
            InteractionsRemoved(
                contact_id=contact_id, kinds=tuple(sorted(set(kinds))), count=len(kinds)
            )
            for contact_id, kinds in sorted(lost.items())
        )
    )
