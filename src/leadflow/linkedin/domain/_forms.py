"""Lead gen forms read from the API into values: questions and their localized texts."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Question:
    question_id: str
    name: str
    label: str
    predefined_field: str | None
    kind: str  # text | multiple_choice
    options: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "question_id": self.question_id,
            "name": self.name,
            "label": self.label,
            "predefined_field": self.predefined_field,
            "kind": self.kind,
            "options": dict(self.options),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Question:
        return cls(
            question_id=str(data["question_id"]),
            name=str(data.get("name") or ""),
            label=str(data.get("label") or ""),
            predefined_field=data.get("predefined_field"),
            kind=str(data.get("kind") or "text"),
            options={str(key): str(value) for key, value in (data.get("options") or {}).items()},
        )


@dataclass(frozen=True)
class FormSpec:
    linkedin_id: str
    name: str
    state: str | None
    locale: str | None
    questions: list[Question]
    hidden_fields: list[dict[str, str]]
    consents: list[dict[str, Any]]


def _locale_key(locale: Any) -> str | None:
    if isinstance(locale, Mapping) and locale.get("language"):
        country = locale.get("country")
        return f"{locale['language']}_{country}" if country else str(locale["language"])
    return None


def localized(value: Any, locale: str | None = None) -> str:
    """A MultiLocaleString's text: the form's locale, the preferred one, else the first."""
    if isinstance(value, str):
        return value
    if not isinstance(value, Mapping):
        return ""
    texts = value.get("localized")
    if not isinstance(texts, Mapping) or not texts:
        return ""
    for key in (locale, _locale_key(value.get("preferredLocale"))):
        if key and key in texts:
            return str(texts[key])
    return str(next(iter(texts.values())))


def parse_form(element: Mapping[str, Any]) -> FormSpec:
    """A leadForms element read into a FormSpec; raises ValueError when it has no id."""
    if element.get("id") is None:
        raise ValueError("a lead form without an id")
    locale = _locale_key(element.get("creationLocale"))
    content = element.get("content") or {}
    questions: list[Question] = []
    for item in content.get("questions") or []:
        details = item.get("questionDetails") or {}
        choice = details.get("multipleChoiceQuestionDetails")
        options: dict[str, str] = {}
        if isinstance(choice, Mapping):
            for option in choice.get("options") or []:
                options[str(option.get("id"))] = localized(option.get("text"), locale)
        predefined = item.get("predefinedField")
        questions.append(
            Question(
                question_id=str(item.get("questionId")),
                name=str(item.get("name") or ""),
                label=localized(item.get("question"), locale) or str(item.get("name") or ""),
                predefined_field=str(predefined) if predefined else None,
                kind="multiple_choice" if choice is not None else "text",
                options=options,
            )
        )
    hidden = [
        {"name": str(item.get("name")), "value": str(item.get("value") or "")}
        for item in content.get("hiddenFields") or []
        if item.get("name")
    ]
    legal = content.get("legalInfo") or {}
    consents = [
        {
            "id": str(item.get("id")),
            "label": localized(item.get("consent"), locale),
            "required": bool(item.get("required")),
        }
        for item in legal.get("consents") or []
    ]
    return FormSpec(
        linkedin_id=str(element["id"]),
        name=str(element.get("name") or f"LinkedIn form {element['id']}")[:300],
        state=str(element["state"]) if element.get("state") else None,
        locale=locale,
        questions=questions,
        hidden_fields=hidden,
        consents=consents,
    )
