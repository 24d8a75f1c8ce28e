"""Pydantic models of the emails API edge. Services still check what matters (the
templates parse, addresses are addresses) and name the field at fault."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, Field

Id = Annotated[int, Field(ge=1, le=2**63 - 1)]
Body = Annotated[str, Field(max_length=200_000)]


class TemplateIn(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    subject: str = Field(min_length=1, max_length=500, description="May hold merge fields")
    html_body: Body = Field(description="HTML with merge fields, e.g. {{ contact.first_name }}")
    text_body: Body | None = Field(default=None, description="Left out: made from the HTML")
    from_name: str = Field(min_length=1, max_length=200)
    from_address: str = Field(min_length=3, max_length=320)
    reply_to: str | None = Field(default=None, max_length=320)


class TemplatePatch(BaseModel):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    subject: str | None = Field(default=None, min_length=1, max_length=500)
    html_body: Body | None = None
    text_body: Body | None = None
    from_name: str | None = Field(default=None, min_length=1, max_length=200)
    from_address: str | None = Field(default=None, min_length=3, max_length=320)
    reply_to: str | None = Field(default=None, max_length=320)


class PreviewIn(BaseModel):
    """A saved template (`template_id`) or a draft's parts, merged for a contact."""

    template_id: Id | None = None
    contact_id: Id | None = None
    subject: str | None = Field(default=None, max_length=500)
    html_body: Body | None = None
    text_body: Body | None = None


class TestSendIn(BaseModel):
    to: str = Field(min_length=3, max_length=320, description="Where the test goes")
    contact_id: Id | None = Field(default=None, description="Whose values to merge")


class DraftTestSendIn(TestSendIn):
    """A test of a draft, saved or not: the parts given win over the saved template's
    (`template_id`); without a template, subject, HTML body and sender are needed."""

    template_id: Id | None = Field(default=None, description="The saved template it edits")
    subject: str | None = Field(default=None, max_length=500)
    html_body: Body | None = None
    text_body: Body | None = None
    from_name: str | None = Field(default=None, max_length=200)
    from_address: str | None = Field(default=None, max_length=320)
    reply_to: str | None = Field(default=None, max_length=320)


def body_data(body: BaseModel) -> dict[str, Any]:
    return body.model_dump(mode="json", exclude_unset=True)
