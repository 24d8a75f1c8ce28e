"""What the settings forms share: the values a browser sent and the errors to show beside them.

Settings forms are small and fixed (no registry behind them), so each view
names its inputs; a service error lands beside the input it names, or above
the form when it names none of them.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from leadflow.errors import ErrorCode, LeadflowError, ValidationFailed
from leadflow.users.domain import Role
from leadflow.web.pages.display import humanize

# Notices a redirect may ask for; the query names one, the page shows its text.
NOTICE = "notice"


@dataclass(frozen=True)
class FormState:
    """One form's values as typed, and what went wrong with them."""

    values: Mapping[str, str] = field(default_factory=dict)
    errors: Mapping[str, str] = field(default_factory=dict)
    # An error that belongs to none of the form's inputs, shown above it.
    alert: str | None = None

    @classmethod
    def failed(
        cls,
        values: Mapping[str, str],
        error: LeadflowError,
        inputs: Collection[str],
        *,
        rename: Mapping[str, str] | None = None,
    ) -> FormState:
        """The form again with `error` beside its input; `rename` maps service fields to inputs."""
        at = (rename or {}).get(error.field or "", error.field)
        if at is not None and at in inputs:
            return cls(values, {at: error.message})
        return cls(values, alert=error.message)

    def value(self, name: str) -> str:
        return self.values.get(name, "")


def text_of(form: Mapping[str, Any], name: str) -> str:
    raw = form.get(name)
    return raw.strip() if isinstance(raw, str) else ""


def checked(form: Mapping[str, Any], name: str) -> bool:
    """An unchecked checkbox sends nothing."""
    return bool(text_of(form, name))


def whole_number(text: str, *, name: str, label: str) -> int | None:
    """A count typed into a form (blank: none); raises an error naming the input."""
    if not text:
        return None
    try:
        number = int(text)
    except ValueError:
        raise ValidationFailed(
            f"{label} must be a whole number", field=name, code=ErrorCode.NOT_A_WHOLE_NUMBER
        ) from None
    if number < 0:
        raise ValidationFailed(
            f"{label} cannot be negative", field=name, code=ErrorCode.OUT_OF_RANGE
        )
    return number


def role_options(roles: Collection[Role] = tuple(Role)) -> list[tuple[str, str]]:
    return [(role.value, humanize(role.value)) for role in Role if role in roles]


def when(moment: datetime | None) -> str | None:
    return moment.strftime("%Y-%m-%d %H:%M") if moment else None


def status_of(error: LeadflowError | None) -> int:
    return error.http_status if error else 200
