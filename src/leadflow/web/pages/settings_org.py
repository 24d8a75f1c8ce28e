"""Settings: the organisation's own settings (the default phone region, for now).

One form holds every declared setting; each input is named by the setting's key.
A value a setting refuses is shown beside its input and nothing is saved.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from leadflow.errors import LeadflowError
from leadflow.switches.services import all_settings, do_set_settings
from leadflow.users.domain import Permission, role_allows
from leadflow.users.services import Principal
from leadflow.web.auth import Authorize, container_of
from leadflow.web.calls import PageCall, page_call
from leadflow.web.pages.render import render, settings_navigation
from leadflow.web.pages.settings_forms import NOTICE, FormState, status_of, text_of

PATH = "/settings/org"
NOTICES = {"saved": "Settings saved."}


@dataclass(frozen=True)
class SettingRow:
    key: str
    label: str
    description: str
    hint: str
    options: tuple[tuple[str, str], ...]


def _page(
    request: Request,
    principal: Principal,
    form: FormState | None = None,
    error: LeadflowError | None = None,
) -> Response:
    with container_of(request).read_session() as session:
        current = all_settings(session)
    rows = [SettingRow(d.key, d.label, d.description, d.hint, d.suggestions) for d, _ in current]
    context = {
        "settings_sections": settings_navigation(principal),
        "can_admin": role_allows(principal.role, Permission.AUTOMATION_ADMIN),
        "settings": rows,
        "form": form or FormState({d.key: value or "" for d, value in current}),
        "notice": NOTICES.get(request.query_params.get(NOTICE, "")),
    }
    return render(request, "settings/org.html", context, status=status_of(error))


router = APIRouter(include_in_schema=False)
reading = Authorize(Permission.AUTOMATION_READ)
administering = page_call(Permission.AUTOMATION_ADMIN)


@router.get(PATH)
def show(request: Request, principal: Principal = Depends(reading)) -> Response:
    return _page(request, principal)


@router.post(PATH)
def save(call: PageCall = administering) -> Response:
    keys = call.read(lambda session: [definition.key for definition, _ in all_settings(session)])
    values = {key: text_of(call.form, key) for key in keys if key in call.form}

    def refused(error: LeadflowError) -> Response:
        key = str(error.extra.get("key", ""))
        state = FormState.failed(values, error, keys, rename={"value": key})
        return _page(call.request, call.principal, state, error)

    return call.run(
        lambda uow: do_set_settings(values, uow=uow),
        done=f"{PATH}?{NOTICE}=saved#org-settings",
        failed=refused,
    )


def org_settings_router() -> APIRouter:
    return router
