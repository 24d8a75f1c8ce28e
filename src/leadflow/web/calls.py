"""What a route does around its use case, written once: who calls, in which unit of work,
and what a refused use case turns into.

A route takes one call object as its dependency (`api_call(...)`, `page_call(...)`,
`public_call()` for the public pages): it authorises the caller (and, for a page,
reads the posted form), then the route
names the use case and what to answer. The use case opens and commits the unit
of work itself; the call holds the unit open around it so the answer can be
rendered from the same session.

- `read` answers from a read-only session, `write` runs a use case in its unit of
  work and returns what it returned; `ApiCall.run` answers from the same unit.
- API: a `LeadflowError` is not caught here; the one handler in `web.errors`
  turns it into problem details.
- Pages: a `LeadflowError` becomes the page's own answer (`failed`): a redirect
  with the message as a flash, or the form again with the error beside it;
  `run` for a use case, `show` for a read that may refuse (a record not found),
  `check` for checks or several use cases in a row, each in its own unit.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from fastapi import Depends, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from leadflow.bootstrap import Container
from leadflow.db.uow import UnitOfWork
from leadflow.errors import LeadflowError
from leadflow.registry.domain import Registry
from leadflow.users.domain import Permission
from leadflow.users.services import Principal
from leadflow.web.auth import Authorize, container_of

T = TypeVar("T")
R = TypeVar("R")

# A use case run in the unit of work it is handed.
UseCase = Callable[[UnitOfWork], T]


@dataclass(frozen=True)
class _Faced:
    request: Request

    @property
    def container(self) -> Container:
        return container_of(self.request)

    def read(self, query: Callable[[Session], R]) -> R:
        """Answer from a read-only session."""
        with self.container.read_session() as session:
            return query(session)

    def read_registered(self, query: Callable[[Session, Registry], R]) -> R:
        """Answer from a read-only session and the registry's fields as it sees them."""
        with self.container.read_session() as session:
            return query(session, self.container.registry_cache.get(session))

    def write(self, use_case: UseCase[T]) -> T:
        """Run the use case in a unit of work and return its result (the unit is closed)."""
        with self.container.uow() as uow:
            return use_case(uow)


@dataclass(frozen=True)
class _Call(_Faced):
    principal: Principal

    @property
    def user_id(self) -> int:
        return self.principal.user_id


@dataclass(frozen=True)
class _Answered(_Faced):
    def run(self, use_case: UseCase[T], answer: Callable[[T, UnitOfWork], R]) -> R:
        """Run the use case, then answer from its result in the same (committed) unit."""
        with self.container.uow() as uow:
            return answer(use_case(uow), uow)


@dataclass(frozen=True)
class ApiCall(_Call, _Answered):
    """An API request by an authorised caller."""


@dataclass(frozen=True)
class OpenCall(_Answered):
    """A request nobody signs: the public capture API, a webhook, a tracking link.
    It reads and writes like any other call; what guards it (a rate limit, a
    signature, a signed token) is the route's own."""


# The dependencies below only wrap what they are given: run in the event loop, not
# sent to a worker thread and back (a hop each, on every request).


def open_call() -> Any:
    """The route dependency giving an `OpenCall` (anyone may call it, no form read)."""

    async def call(request: Request) -> OpenCall:
        return OpenCall(request)

    return Depends(call)


def api_call(permission: Permission | None) -> Any:
    """The route dependency giving an `ApiCall` by a caller holding `permission`
    (None: any signed-in caller)."""
    authorize = Authorize(permission)

    async def call(request: Request, principal: Principal = Depends(authorize)) -> ApiCall:
        return ApiCall(request, principal)

    return Depends(call)


# What a page answers when a step refuses (its `LeadflowError`).
Failed = Callable[[LeadflowError], Response]
# What a page answers when a step succeeds: a response from its result, or a path to go to.
Done = Callable[[T], Response] | str


class _Page(_Faced):
    """A page's request with the form it sent: each step's refusal becomes the
    page's own answer, never an error page."""

    form: FormData

    def text(self, name: str) -> str:
        """A posted text value, stripped; "" when it is missing or a file."""
        value = self.form.get(name)
        return value.strip() if isinstance(value, str) else ""

    def check(self, step: Callable[[], T], *, done: Done[T], failed: Failed) -> Response:
        """Run `step` (checks, or use cases that open their own units); answer with
        `done` or, when it refuses, with `failed`."""
        try:
            result = step()
        except LeadflowError as exc:
            return failed(exc)
        return see_other(done) if isinstance(done, str) else done(result)

    def run(self, use_case: UseCase[T], *, done: Done[T], failed: Failed) -> Response:
        """Run the use case in a unit of work; answer with `done` (a response, or a path
        to go to) or, when the use case refuses, with `failed`."""

        return self.check(lambda: self.write(use_case), done=done, failed=failed)

    def show(self, query: Callable[[Session], T], *, done: Done[T], failed: Failed) -> Response:
        """Read with a read-only session; answer with `done` once the session is closed
        or, when the read refuses (a record not found), with `failed`."""
        return self.check(lambda: self.read(query), done=done, failed=failed)


@dataclass(frozen=True)
class PageCall(_Call, _Page):
    """A page's POST by an authorised caller, with the form it sent."""

    form: FormData


@dataclass(frozen=True)
class PublicCall(_Page):
    """A public page's request (a landing page, an event's registration): no caller
    to authorise, the same answers to a refusal."""

    form: FormData


def see_other(path: str) -> RedirectResponse:
    """Where the browser goes after a POST (303, so it GETs there)."""
    return RedirectResponse(path, status_code=303)


async def _form(request: Request) -> FormData:
    # Starlette keeps the parsed form, so the CSRF check has read this same one.
    return await request.form()


def public_call() -> Any:
    """The route dependency giving a `PublicCall` (anyone may call it)."""

    async def call(request: Request, form: FormData = Depends(_form)) -> PublicCall:
        return PublicCall(request, form)

    return Depends(call)


def page_call(permission: Permission | None) -> Any:
    """The route dependency giving a `PageCall` by a caller holding `permission`
    (None: any signed-in caller)."""
    authorize = Authorize(permission)

    async def call(
        request: Request,
        principal: Principal = Depends(authorize),
        form: FormData = Depends(_form),
    ) -> PageCall:
        return PageCall(request, principal, form)

    return Depends(call)
