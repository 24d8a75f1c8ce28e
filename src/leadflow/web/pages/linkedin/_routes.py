"""The settings' own forms: connections with a pasted token, their notifications,
sync and token; the predefined and per-form mappings; the lead-matching strategy."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import Request
from fastapi.responses import Response
from starlette.datastructures import FormData

from leadflow.errors import LeadflowError
from leadflow.linkedin import services
from leadflow.linkedin.domain import (
    PredefinedField,
)
from leadflow.users.services import Principal
from leadflow.web.calls import Failed, PageCall, see_other
from leadflow.web.pages.linkedin._pages import (
    CONNECTION_INPUTS,
    PATH,
    STRATEGY_INPUTS,
    _connection_page,
    _form_page,
    _on_connection,
    _settings_page,
    administering,
    can_admin,
    router,
)
from leadflow.web.pages.settings_forms import (
    NOTICE,
    FormState,
    checked,
    status_of,
    text_of,
)


def _connection_values(raw: FormData) -> dict[str, Any]:
    values: dict[str, Any] = {
        name: text_of(raw, name) or None
        for name in (
            "name",
            "owner_urn",
            "access_token",
            "client_secret",
            "api_version",
            "base_url",
        )
    }
    days = text_of(raw, "backfill_days")
    if days:
        values["backfill_days"] = int(days) if days.isdigit() else -1
    values["include_test_leads"] = checked(raw, "include_test_leads")
    return values


@router.post(f"{PATH}/connections/{{connection_id:int}}/subscription")
def subscribe(connection_id: int, call: PageCall = administering) -> Response:
    webhook = str(call.request.base_url).rstrip("/") + (
        f"/api/v1/linkedin/connections/{connection_id}/webhook"
    )
    return call.run(
        lambda uow: services.do_subscribe_notifications(
            connection_id, webhook, uow=uow, app=services.oauth_app(call.container.settings)
        ),
        done=f"{PATH}/connections/{connection_id}?{NOTICE}=subscribed#notifications",
        failed=_on_connection(call, connection_id, "subscription_form"),
    )


@router.post(f"{PATH}/connections/{{connection_id:int}}/subscription/delete")
def unsubscribe(connection_id: int, call: PageCall = administering) -> Response:
    return call.run(
        lambda uow: services.do_unsubscribe_notifications(
            connection_id, uow=uow, app=services.oauth_app(call.container.settings)
        ),
        done=f"{PATH}/connections/{connection_id}?{NOTICE}=unsubscribed#notifications",
        failed=_on_connection(call, connection_id, "subscription_form"),
    )


@router.get(PATH)
def settings(request: Request, principal: Principal = can_admin) -> Response:
    return _settings_page(request, principal)


@router.post(f"{PATH}/connections")
def connect(call: PageCall = administering) -> Response:
    def failed(exc: LeadflowError) -> Response:
        typed = {name: text_of(call.form, name) for name in CONNECTION_INPUTS}
        typed["access_token"] = typed["client_secret"] = ""
        state = FormState.failed(typed, exc, CONNECTION_INPUTS)
        return _settings_page(
            call.request, call.principal, connection_form=state, status=status_of(exc)
        )

    return call.run(
        lambda uow: services.do_create_connection(
            _connection_values(call.form), uow=uow, requested_by=call.user_id
        ),
        done=lambda row: see_other(f"{PATH}/connections/{row.id}?{NOTICE}=connected"),
        failed=failed,
    )


@router.post(f"{PATH}/mappings")
def map_predefined(call: PageCall = administering) -> Response:
    changes = {kind.value: text_of(call.form, kind.value) or None for kind in PredefinedField}
    return call.run(
        lambda uow: services.do_set_predefined_mappings(changes, uow=uow),
        done=f"{PATH}?{NOTICE}=mappings#mappings",
        failed=lambda exc: _settings_page(
            call.request, call.principal, mapping_error=exc, status=status_of(exc)
        ),
    )


def _on_strategies(call: PageCall, state: Callable[[LeadflowError], FormState]) -> Failed:
    def failed(exc: LeadflowError) -> Response:
        return _settings_page(
            call.request, call.principal, strategy_form=state(exc), status=status_of(exc)
        )

    return failed


@router.post(f"{PATH}/strategies")
def add_strategy(call: PageCall = administering) -> Response:
    raw = call.form
    fields = [item for item in raw.getlist("fields") if isinstance(item, str)]
    data = {
        "name": text_of(raw, "strategy_name"),
        "fields": fields,
        "always_create_lead": checked(raw, "always_create_lead"),
        "enable_contact_creation": checked(raw, "enable_contact_creation"),
        "activate": checked(raw, "activate"),
    }
    typed = {name: text_of(raw, name) for name in STRATEGY_INPUTS}
    return call.run(
        lambda uow: services.do_create_strategy(data, uow=uow),
        done=f"{PATH}?{NOTICE}=strategy#matching",
        failed=_on_strategies(
            call,
            lambda exc: FormState.failed(
                typed, exc, STRATEGY_INPUTS, rename={"name": "strategy_name"}
            ),
        ),
    )


@router.post(f"{PATH}/strategies/{{strategy_id:int}}/activate")
def activate(strategy_id: int, call: PageCall = administering) -> Response:
    return call.run(
        lambda uow: services.do_activate_strategy(strategy_id, uow=uow),
        done=f"{PATH}?{NOTICE}=strategy#matching",
        failed=_on_strategies(call, lambda exc: FormState(alert=exc.message)),
    )


@router.post(f"{PATH}/strategies/{{strategy_id:int}}/switches")
def switches(strategy_id: int, call: PageCall = administering) -> Response:
    changes = {
        "always_create_lead": checked(call.form, "always_create_lead"),
        "enable_contact_creation": checked(call.form, "enable_contact_creation"),
    }
    call.write(lambda uow: services.do_update_strategy(strategy_id, changes, uow=uow))
    return see_other(f"{PATH}?{NOTICE}=strategy#matching")


@router.get(f"{PATH}/connections/{{connection_id:int}}")
def connection_status(
    request: Request, connection_id: int, principal: Principal = can_admin
) -> Response:
    return _connection_page(request, principal, connection_id)


@router.post(f"{PATH}/connections/{{connection_id:int}}/sync")
def sync_now(connection_id: int, call: PageCall = administering) -> Response:
    backfill = checked(call.form, "backfill")
    call.write(
        lambda uow: services.do_start_sync(
            connection_id, backfill=backfill, uow=uow, requested_by=call.user_id
        )
    )
    return see_other(f"{PATH}/connections/{connection_id}?{NOTICE}=sync")


@router.post(f"{PATH}/connections/{{connection_id:int}}/edit")
def edit_connection(connection_id: int, call: PageCall = administering) -> Response:
    secrets_and_version = ("access_token", "client_secret", "api_version")
    changes: dict[str, Any] = {
        name: text_of(call.form, name) for name in secrets_and_version if text_of(call.form, name)
    }

    def failed(exc: LeadflowError) -> Response:
        # The secrets are never sent back into the page.
        typed = {"api_version": text_of(call.form, "api_version")}
        state = FormState.failed(typed, exc, secrets_and_version)
        return _connection_page(
            call.request, call.principal, connection_id, form=state, status=status_of(exc)
        )

    return call.run(
        lambda uow: services.do_update_connection(connection_id, changes, uow=uow),
        done=f"{PATH}/connections/{connection_id}?{NOTICE}=token",
        failed=failed,
    )


@router.get(f"{PATH}/forms/{{form_id:int}}")
def form_page(request: Request, form_id: int, principal: Principal = can_admin) -> Response:
    return _form_page(request, principal, form_id)


@router.post(f"{PATH}/forms/{{form_id:int}}")
def map_form(form_id: int, call: PageCall = administering) -> Response:
    changes = {
        key.removeprefix("q-"): text_of(call.form, key) or None
        for key in call.form
        if key.startswith("q-")
    }
    return call.run(
        lambda uow: services.do_set_form_mappings(form_id, changes, uow=uow),
        done=f"{PATH}/forms/{form_id}?{NOTICE}=form",
        failed=lambda exc: _form_page(call.request, call.principal, form_id, error=exc),
    )
