"""Pure LinkedIn rules: reading forms and responses, mapping answers, webhooks, windows."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime, timedelta

import pytest

from leadflow.linkedin.domain import (
    Mappings,
    SyncMode,
    challenge_response,
    form_id_of,
    localized,
    parse_form,
    parse_notifications,
    parse_response,
    resolve,
    signature_valid,
    sync_window,
)
from tests.support.fake_linkedin import choice_question, lead_form, response, text_question

FORM = lead_form(
    7,
    "Guide",
    [
        text_question(1, "Courriel", "EMAIL"),
        text_question(2, "E-mail pro", "WORK_EMAIL"),
        choice_question(3, "Taille", {10: "1-10", 20: "11-50"}),
        text_question(4, "Question", None),
    ],
    hidden={"utm_source": "li"},
    consents={9: "Oui"},
)
NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def test_a_form_is_read_with_its_predefined_types_choices_hidden_fields_and_consents() -> None:
    spec = parse_form(FORM)

    assert (spec.linkedin_id, spec.name, spec.locale) == ("7", "Guide", "de_DE")
    [email, work, size, custom] = spec.questions
    assert (email.question_id, email.predefined_field, email.label) == ("1", "EMAIL", "Courriel")
    assert (size.kind, size.options) == ("multiple_choice", {"10": "1-10", "20": "11-50"})
    assert (custom.predefined_field, custom.kind) == (None, "text")
    assert work.predefined_field == "WORK_EMAIL"
    assert spec.hidden_fields == [{"name": "utm_source", "value": "li"}]
    assert spec.consents == [{"id": "9", "label": "Oui", "required": False}]


def test_localized_text_prefers_the_forms_locale_then_the_preferred_one() -> None:
    text = {
        "localized": {"en_US": "Email", "fr_FR": "Courriel"},
        "preferredLocale": {"language": "fr", "country": "FR"},
    }

    assert localized(text, "en_US") == "Email"
    assert localized(text, "de_DE") == "Courriel"
    assert localized({"localized": {"es_ES": "Correo"}}) == "Correo"


def test_a_versioned_form_urn_names_the_form() -> None:
    assert form_id_of("urn:li:versionedLeadGenForm:(urn:li:leadGenForm:123,4)") == "123"
    assert form_id_of(None) is None


def test_answers_map_by_type_or_question_id_and_choices_become_labels() -> None:
    spec = parse_form(FORM)
    answer = parse_response(
        response("r", 7, 1_700_000_000_000, {1: "a@x.fr", 2: "b@x.fr", 3: [20], 4: "Hi"})
    )
    mappings = Mappings({"EMAIL": "email", "WORK_EMAIL": "email"}, {"3": "description"})

    resolved = resolve(spec.questions, spec.consents, spec.hidden_fields, answer, mappings)

    # Two questions for one field: the first answered wins; the unmapped one is not saved.
    assert resolved.lead_values == {"email": "a@x.fr", "description": "11-50"}
    assert [item["value"] for item in resolved.answers] == ["a@x.fr", "b@x.fr", "11-50", "Hi"]
    assert resolved.attribution["hidden_fields"] == {"utm_source": "li"}
    assert resolved.attribution["campaign"] == "urn:li:sponsoredCampaign:77"


def test_a_question_mapping_overrides_its_predefined_type() -> None:
    spec = parse_form(FORM)
    answer = parse_response(response("r", 7, 1, {1: "a@x.fr"}))

    resolved = resolve(
        spec.questions, [], [], answer, Mappings({"EMAIL": "email"}, {"1": "description"})
    )

    assert resolved.lead_values == {"description": "a@x.fr"}


def test_consents_are_labelled_and_an_accepted_one_counts_as_consent() -> None:
    spec = parse_form(FORM)
    answer = parse_response(response("r", 7, 1, {}, consents={9: True}))

    resolved = resolve(spec.questions, spec.consents, [], answer, Mappings({}))

    assert resolved.consents == [{"id": "9", "label": "Oui", "accepted": True}]
    assert resolved.consent_given


def test_a_response_is_read_with_its_test_flag_and_time() -> None:
    spec = parse_response(response("r9", 7, 1_700_000_000_000, {}, test_lead=True))

    assert (spec.response_id, spec.form_linkedin_id, spec.test_lead) == ("r9", "7", True)
    assert spec.submitted_at == datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)
    with pytest.raises(ValueError):
        parse_response({"formResponse": {}})


def test_the_challenge_answer_and_the_signature_are_hmacs_of_the_client_secret() -> None:
    expected = hmac.new(b"secret", b"code-1", hashlib.sha256).hexdigest()
    body = b'{"leadAction":"CREATED"}'
    signed = hmac.new(b"secret", b"hmacsha256=" + body, hashlib.sha256).hexdigest()

    assert challenge_response("secret", "code-1") == expected
    assert signature_valid("secret", body, signed)
    assert not signature_valid("secret", body + b" ", signed)
    assert not signature_valid("secret", body, None)


def test_notifications_name_the_response_and_the_action() -> None:
    [created] = parse_notifications(
        {"leadGenFormResponse": "urn:li:leadGenFormResponse:abc-1", "leadAction": "CREATED"}
    )

    assert (created.response_id, created.action.value) == ("abc-1", "CREATED")
    with pytest.raises(ValueError, match="leadAction"):
        parse_notifications({"leadGenFormResponse": "urn:li:x:1", "leadAction": "UPDATED"})
    with pytest.raises(ValueError, match="leadGenFormResponse"):
        parse_notifications([{"leadAction": "DELETED"}])


def test_a_backfill_reaches_back_at_most_365_days() -> None:
    window = sync_window(SyncMode.BACKFILL, NOW, backfill_days=900, synced_through=None)

    assert (window.start, window.end) == (NOW - timedelta(days=365), NOW)


def test_a_pull_starts_before_the_last_finished_window_by_the_overlap() -> None:
    through = NOW - timedelta(minutes=15)

    window = sync_window(SyncMode.PULL, NOW, backfill_days=30, synced_through=through)

    assert (window.start, window.end) == (through - timedelta(hours=2), NOW)
    first = sync_window(SyncMode.PULL, NOW, backfill_days=30, synced_through=None)
    assert first.start == NOW - timedelta(days=30)
