"""The pure rules of emails: the sandbox, merge fields and defaults, the text part, CSS
inlining, tracked links and the footer, tokens (valid, forged, tampered), Message-IDs."""

from __future__ import annotations

import pytest

from leadflow.emails.domain import (
    SkipReason,
    TemplateSource,
    Token,
    TokenKind,
    check_source,
    compile_source,
    html_to_text,
    inline_css,
    merge_values,
    message_id_header,
    sign_token,
    skip_reason,
    tracked_links,
    verify_token,
    with_footer,
)
from leadflow.emails.errors import TemplateInvalid

VALUES = merge_values(
    {"first_name": "Ada", "last_name": "", "email": "ada@x.test", "custom": None},
    {"name": "Contoso"},
    {},
)


def _render(subject: str, html: str = "<p>x</p>", text: str | None = None) -> tuple[str, str, str]:
    return compile_source(TemplateSource(subject, html, text)).render(VALUES)


def test_merge_fields_and_defaults_render() -> None:
    subject, html, text = _render(
        "Hi {{ contact.first_name }} of {{ account.name }}",
        "<p>Dear {{ contact.last_name | default('friend') }}, "
        "{{ lead.topic | default('hello') }}</p>",
    )
    assert subject == "Hi Ada of Contoso"
    assert html == "<p>Dear friend, hello</p>"
    assert text == "Dear friend, hello"


def test_unknown_names_render_empty() -> None:
    assert _render("[{{ contact.nope }}][{{ contact.nope.deeper }}][{{ nothing }}]")[0] == "[][][]"


@pytest.mark.parametrize(
    "expression",
    [
        "{{ contact.__class__ }}",
        "{{ contact.items() }}",
        "{{ contact.keys }}",
        "{{ ''.__class__.__mro__ }}",
        "{{ cycler }}",
        "{{ range(3) }}",
        "{{ contact['__class__'] }}",
    ],
)
def test_the_sandbox_reaches_nothing_but_the_values(expression: str) -> None:
    assert _render(f"[{expression}]")[0] == "[]"


def test_html_values_are_escaped_in_the_html_part_only() -> None:
    values = merge_values({"first_name": "<b>Ada</b>"}, {}, {})
    compiled = compile_source(
        TemplateSource("{{ contact.first_name }}", "<p>{{ contact.first_name }}</p>")
    )
    subject, html, text = compiled.render(values)
    assert (subject, html, text) == ("<b>Ada</b>", "<p>&lt;b&gt;Ada&lt;/b&gt;</p>", "<b>Ada</b>")


@pytest.mark.parametrize(
    ("field", "source", "line"),
    [
        ("subject", TemplateSource("Hi {{ contact.first_name ", "<p></p>"), 1),
        ("html_body", TemplateSource("Hi", "<p>\n\n{% for %}</p>"), 3),
        ("text_body", TemplateSource("Hi", "<p></p>", "ok\n{% endif %}"), 2),
    ],
)
def test_a_template_that_does_not_parse_names_its_field_and_line(
    field: str, source: TemplateSource, line: int
) -> None:
    with pytest.raises(TemplateInvalid) as raised:
        check_source(source)
    assert (raised.value.field, raised.value.line) == (field, line)


def test_the_text_part_is_made_from_the_html() -> None:
    html = (
        "<html><head><style>p{color:red}</style><title>T</title></head><body>"
        "<h1>Welcome</h1><p>Read <a href='https://x.test/a'>this</a>.</p>"
        "<ul><li>one</li><li>two</li></ul></body></html>"
    )
    assert html_to_text(html) == "Welcome\n\nRead this (https://x.test/a).\n\n- one\n- two\n"


def test_css_rules_are_inlined() -> None:
    html = "<html><head><style>p { color: red }</style></head><body><p>x</p></body></html>"
    inlined = inline_css(html)
    assert '<p style="color: red;">x</p>' in inlined
    assert "<style>" not in inlined


def test_http_links_are_wrapped_and_others_kept() -> None:
    html = (
        '<a href="https://x.test/a?b=1&amp;c=2">A</a> <a href="mailto:a@x.test">M</a> '
        "<a class='k' href='http://y.test/'>Y</a>"
    )
    wrapped, links = tracked_links(html, lambda index, url: f"https://t.test/{index}")
    assert links == ["https://x.test/a?b=1&c=2", "http://y.test/"]
    assert wrapped == (
        '<a href="https://t.test/0">A</a> <a href="mailto:a@x.test">M</a> '
        "<a class='k' href='https://t.test/1'>Y</a>"
    )


def test_the_footer_goes_before_the_end_of_the_body_and_into_the_text() -> None:
    html, text = with_footer(
        "<html><body><p>x</p></body></html>",
        "x\n",
        unsubscribe_url="https://h.test/u/T",
        pixel_url="https://h.test/t/o/P",
    )
    assert html.endswith(
        'width="1" height="1" alt="" style="display:block;border:0;'
        'width:1px;height:1px"></body></html>'
    )
    assert '<a href="https://h.test/u/T"' in html
    assert text == "x\n\n--\nUnsubscribe: https://h.test/u/T\n"


def test_a_signed_token_verifies_for_its_kind_only() -> None:
    token = sign_token("s3cret", Token(TokenKind.CLICK, 42, 3, "https://x.test/a"))

    assert verify_token("s3cret", TokenKind.CLICK, token) == Token(
        TokenKind.CLICK, 42, 3, "https://x.test/a"
    )
    assert verify_token("s3cret", TokenKind.OPEN, token) is None
    assert verify_token("other", TokenKind.CLICK, token) is None


def test_a_tampered_or_forged_token_verifies_as_nothing() -> None:
    good = sign_token("s3cret", Token(TokenKind.OPEN, 42))
    body, mac = good.split(".")
    other_body = sign_token("s3cret", Token(TokenKind.OPEN, 43)).split(".")[0]

    assert verify_token("s3cret", TokenKind.OPEN, good) == Token(TokenKind.OPEN, 42)
    for forged in (
        f"{other_body}.{mac}",  # another message under this signature
        f"{body}.{mac[:-2]}AA",  # the signature changed
        body,  # no signature
        "eyJtIjo0Mn0.AAAAAAAAAAAAAAAAAAAAAA",  # made up
        "%%%.***",
        "",
    ):
        assert verify_token("s3cret", TokenKind.OPEN, forged) is None


def test_the_message_id_follows_from_the_idempotency_key() -> None:
    first = message_id_header("j1:t2:c3:1", "news@contoso.example")
    assert first == message_id_header("j1:t2:c3:1", "other@contoso.example")
    assert first != message_id_header("j1:t2:c3:2", "news@contoso.example")
    assert first.startswith("<") and first.endswith("@contoso.example>")


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({"address": "a@x.test", "do_not_email": False, "consent": "none", "minimum": None}, None),
        (
            {"address": "a@x.test", "do_not_email": True, "consent": "marketing", "minimum": None},
            SkipReason.DO_NOT_EMAIL,
        ),
        (
            {"address": "a@x.test", "do_not_email": False, "consent": "none",
             "minimum": "marketing"},
            SkipReason.NO_CONSENT,
        ),
        (
            {"address": "a@x.test", "do_not_email": False, "consent": "profiling",
             "minimum": "marketing"},
            None,
        ),
        ({"address": None, "do_not_email": False, "consent": "none", "minimum": None},
         SkipReason.NO_ADDRESS),
    ],
)  # fmt: skip
def test_who_may_receive_a_message(values: dict[str, object], expected: SkipReason | None) -> None:
    assert skip_reason(**values) == expected  # type: ignore[arg-type]
