"""Forms and their landing pages."""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import insert, select
from sqlalchemy.orm import Session, sessionmaker

from leadflow.capture.domain import (
    DEFAULT_FIELDS,
    MAX_FIELDS,
    SLUG_PATTERN,
    FormField,
    UpdateMode,
    form_field_from,
)
from leadflow.capture.models import MarketingForm, MarketingPage
from leadflow.db.uow import UnitOfWork, in_own_transaction
from leadflow.errors import Conflict, ErrorCode, NotFound, ValidationFailed
from leadflow.lib.clock import utcnow
from leadflow.matching.services import (
    default_contact_strategy,
    default_lead_strategy,
    get_strategy,
)
from leadflow.registry.domain import Registry
from leadflow.users.models import User

_SETTINGS = (
    "name",
    "campaign",
    "owner_id",
    "update_mode",
    "generate_leads_without_matching",
    "consent_field",
    "store_all_submissions",
    "contact_strategy_id",
    "lead_strategy_id",
)


def list_forms(session: Session) -> list[MarketingForm]:
    return list(session.scalars(select(MarketingForm).order_by(MarketingForm.id.desc())))


def get_form(session: Session, form_id: int) -> MarketingForm:
    form = session.get(MarketingForm, form_id)
    if form is None:
        raise NotFound(f"No form with id {form_id}", field="id")
    return form


# A form read for a submission is kept this long per process: a submission then costs
# no read. The writes of this process (`update_form`, `delete_form`) drop it at once;
# another process's edits show within this time (the relay checks every submission
# against the form as stored when it processes it).
FORM_CACHE_SECONDS = 2.0


class FormCache:
    """Forms by id, each kept `FORM_CACHE_SECONDS` after it was read."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._forms: dict[int, tuple[float, MarketingForm]] = {}

    def get(self, read_session: Callable[[], Session], form_id: int) -> MarketingForm:
        now = time.monotonic()
        with self._lock:
            found = self._forms.get(form_id)
        if found is not None and now - found[0] < FORM_CACHE_SECONDS:
            return found[1]
        with read_session() as session:
            # Loaded whole and detached: it is only read, from any thread.
            form = get_form(session, form_id)
        with self._lock:
            self._forms[form_id] = (now, form)
        return form

    def forget(self, form_id: int) -> None:
        with self._lock:
            self._forms.pop(form_id, None)


_form_caches: WeakKeyDictionary[object, FormCache] = WeakKeyDictionary()
_form_caches_lock = threading.Lock()


def cached_form(read_session: sessionmaker[Session], form_id: int) -> MarketingForm:
    """The form a submission is checked against, read at most every
    `FORM_CACHE_SECONDS` per process (one cache per read session factory, that is per
    database). Raises NotFound."""
    with _form_caches_lock:
        cache = _form_caches.get(read_session)
        if cache is None:
            cache = _form_caches[read_session] = FormCache()
    return cache.get(read_session, form_id)


def forget_form(form_id: int) -> None:
    """The form changed or is gone: the next submission reads it again."""
    with _form_caches_lock:
        caches = list(_form_caches.values())
    for cache in caches:
        cache.forget(form_id)


def get_page(session: Session, page_id: int) -> MarketingPage:
    page = session.get(MarketingPage, page_id)
    if page is None:
        raise NotFound(f"No page with id {page_id}", field="page_id")
    return page


def get_form_by_slug(session: Session, slug: str) -> tuple[MarketingForm, MarketingPage]:
    found = session.execute(
        select(MarketingForm, MarketingPage)
        .join(MarketingPage, MarketingPage.id == MarketingForm.page_id)
        .where(MarketingPage.slug == slug)
    ).first()
    if found is None:
        raise NotFound(f"No page at /p/{slug}", field="slug")
    return found[0], found[1]


# Parsed fields by form object, kept while the form's `fields` value is the same object:
# every submission is checked against its form's fields (the request, then its relay
# batch), and parsing ten of them cost more than the checks themselves. A form's fields
# are replaced, never changed in place (a JSON column notices only a new value).
_parsed_fields: WeakKeyDictionary[MarketingForm, tuple[Any, list[FormField]]] = WeakKeyDictionary()


def form_fields(form: MarketingForm) -> list[FormField]:
    raw = form.fields
    parsed = _parsed_fields.get(form)
    if parsed is None or parsed[0] is not raw:
        parsed = (raw, [form_field_from(item) for item in raw])
        _parsed_fields[form] = parsed
    return list(parsed[1])


def _checked_fields(registry: Registry, raw: Any) -> list[dict[str, Any]]:
    if not isinstance(raw, list) or not raw:
        raise ValidationFailed(
            "A form needs at least one field", field="fields", code=ErrorCode.REQUIRED
        )
    if len(raw) > MAX_FIELDS:
        raise ValidationFailed(
            f"A form holds at most {MAX_FIELDS} fields",
            field="fields",
            code=ErrorCode.TOO_MANY_ITEMS,
        )
    checked: list[dict[str, Any]] = []
    seen: set[str] = set()
    for index, item in enumerate(raw):
        where = f"fields[{index}]"
        if not isinstance(item, Mapping):
            raise ValidationFailed(
                "Each field is an object", field=where, code=ErrorCode.NOT_AN_OBJECT
            )
        try:
            spec = form_field_from(item)
        except ValueError as exc:
            raise ValidationFailed(
                str(exc), field=where, code=ErrorCode.FORM_FIELD_INVALID
            ) from None
        if spec.name in seen:
            raise ValidationFailed(
                f"Field {spec.name!r} appears twice", field=where, code=ErrorCode.DUPLICATE
            )
        seen.add(spec.name)
        for entity, target in (("contact", spec.contact_field), ("lead", spec.lead_field)):
            if target is None:
                continue
            name = target.removeprefix("custom.")
            if not registry.has_field(entity, name):
                raise ValidationFailed(
                    f"No {entity} field named {name!r}",
                    code=ErrorCode.UNKNOWN_FIELD,
                    field=f"{where}.{entity}_field",
                )
            definition = registry.field(entity, name)
            if not definition.writable or definition.reference is not None:
                raise ValidationFailed(
                    f"A form cannot write {entity} field {definition.label}",
                    field=f"{where}.{entity}_field",
                    code=ErrorCode.FIELD_NOT_WRITABLE,
                )
            normalized = f"custom.{name}" if definition.custom else name
            if entity == "contact":
                spec = replace(spec, contact_field=normalized)
            else:
                spec = replace(spec, lead_field=normalized)
            if definition.max_length:
                spec = replace(spec, max_length=min(spec.max_length, definition.max_length))
        checked.append(spec.to_json())
    return checked


def _apply_settings(
    session: Session, form: MarketingForm, data: Mapping[str, Any], registry: Registry
) -> None:
    for name in _SETTINGS:
        if name not in data:
            continue
        value = data[name]
        if name == "name":
            text = str(value or "").strip()
            if not text:
                raise ValidationFailed("A form needs a name", code=ErrorCode.REQUIRED, field="name")
            form.name = text[:200]
        elif name == "update_mode":
            try:
                form.update_mode = UpdateMode(value).value
            except ValueError:
                allowed = ", ".join(mode.value for mode in UpdateMode)
                raise ValidationFailed(
                    f"update_mode must be one of {allowed}",
                    field="update_mode",
                    code=ErrorCode.NOT_A_CHOICE,
                ) from None
        elif name in ("contact_strategy_id", "lead_strategy_id"):
            if value is not None:
                strategy = get_strategy(session, int(value))
                wanted = name.removesuffix("_strategy_id")
                if strategy.target != wanted:
                    raise ValidationFailed(
                        f"{strategy.name!r} is a {strategy.target} strategy",
                        field=name,
                        code=ErrorCode.STRATEGY_TARGET_MISMATCH,
                    )
            setattr(form, name, value)
        elif name == "owner_id":
            if value is not None and session.get(User, value) is None:
                raise ValidationFailed(
                    f"No user with id {value}", field="owner_id", code=ErrorCode.USER_UNKNOWN
                )
            form.owner_id = value
        elif name in ("generate_leads_without_matching", "store_all_submissions"):
            setattr(form, name, bool(value))
        elif name == "campaign":
            form.campaign = (str(value).strip()[:200] or None) if value else None
        elif name == "consent_field":
            form.consent_field = value or None
    if "fields" in data:
        form.fields = _checked_fields(registry, data["fields"])
    if form.consent_field and form.consent_field not in {item["name"] for item in form.fields}:
        raise ValidationFailed(
            f"The consent field {form.consent_field!r} is not one of the form's fields",
            field="consent_field",
            code=ErrorCode.FORM_FIELD_INVALID,
        )


def _apply_page(session: Session, page: MarketingPage, data: Mapping[str, Any]) -> None:
    if "slug" in data:
        slug = str(data["slug"] or "").strip().lower()
        if not SLUG_PATTERN.match(slug):
            raise ValidationFailed(
                "The page address uses lower-case letters, digits and dashes",
                field="slug",
                code=ErrorCode.SLUG_INVALID,
            )
        taken = session.scalar(
            select(MarketingPage.id).where(MarketingPage.slug == slug, MarketingPage.id != page.id)
        )
        if taken is not None:
            raise Conflict(
                f"Another page already lives at /p/{slug}",
                code=ErrorCode.DUPLICATE,
                field="slug",
                existing_id=taken,
            )
        page.slug = slug
    if "title" in data:
        page.title = str(data["title"] or "").strip()[:200] or page.title
    if "intro" in data:
        page.intro = data["intro"] or None


def create_form(data: Mapping[str, Any], *, uow: UnitOfWork) -> MarketingForm:
    """A form and its landing page; the org's default strategies are copied in."""
    session = uow.session
    if not data.get("slug"):
        raise ValidationFailed("The page needs an address", code=ErrorCode.REQUIRED, field="slug")
    now = utcnow()
    page = MarketingPage(slug="", title="", created_at=now, updated_at=now)
    _apply_page(session, page, data)
    page.title = page.title or str(data.get("name") or page.slug)[:200]
    contact_default = default_contact_strategy(session)
    lead_default = default_lead_strategy(session)
    form = MarketingForm(
        name="",
        fields=[spec.to_json() for spec in DEFAULT_FIELDS],
        update_mode=UpdateMode.CONTACTS_AND_LEADS.value,
        generate_leads_without_matching=False,
        store_all_submissions=True,
        contact_strategy_id=contact_default.id if contact_default else None,
        lead_strategy_id=lead_default.id if lead_default else None,
        token_secret=secrets.token_hex(16),
        created_at=now,
        updated_at=now,
    )
    settings = dict(data)
    settings.setdefault("name", "")
    _apply_settings(session, form, settings, uow.registry)
    session.add(page)
    session.flush()
    form.page_id = page.id
    session.add(form)
    session.flush()
    return form


def update_form(form_id: int, changes: Mapping[str, Any], *, uow: UnitOfWork) -> MarketingForm:
    """Change settings, fields or the page; existing submissions stay as they were."""
    form = get_form(uow.session, form_id)
    page = get_page(uow.session, form.page_id)
    _apply_page(uow.session, page, changes)
    _apply_settings(uow.session, form, changes, uow.registry)
    now = utcnow()
    form.updated_at = now
    page.updated_at = now
    uow.session.flush()
    uow.after_commit(lambda: forget_form(form_id))
    return form


def delete_form(form_id: int, *, uow: UnitOfWork) -> None:
    """Delete a form, its page and its submissions; leads keep their page and form ids."""
    form = get_form(uow.session, form_id)
    page = get_page(uow.session, form.page_id)
    uow.session.delete(form)
    uow.session.delete(page)
    uow.session.flush()
    uow.after_commit(lambda: forget_form(form_id))


# --- Use cases: what faces call; each opens the unit of work and commits it ----------------


do_create_form = in_own_transaction(create_form)
do_update_form = in_own_transaction(update_form)
do_delete_form = in_own_transaction(delete_form)


def do_insert_bench_page(*, uow: UnitOfWork) -> None:
    """The benchmark's framework-and-database floor: one transaction inserting one page row."""
    with uow:
        uow.session.execute(
            insert(MarketingPage).values(slug=f"bench-{time.monotonic_ns()}", title="bench")
        )
        uow.commit()
