"""Pseudonyms and log masking (``bot/privacy.py``)."""

from __future__ import annotations

import pytest

from bot.privacy import (
    InvalidContactError,
    conversation_id,
    mask_event,
    mask_text,
    subject_hash,
    wa_id_of,
)


@pytest.mark.parametrize(
    ("written", "wa_id"),
    [("+39 333 123 4567", "393331234567"), ("0039 333-1234567", "393331234567"),
     ("393331234567", "393331234567"), ("+1 (415) 555-0100", "14155550100")],
)
def test_numbers_written_any_way_become_the_whatsapp_id(written: str, wa_id: str) -> None:
    assert wa_id_of(written) == wa_id


@pytest.mark.parametrize("bad", ["", "abc", "+39 333", "3933312345678901234", "39333x1234567"])
def test_what_is_not_a_number_is_refused_with_an_example(bad: str) -> None:
    with pytest.raises(InvalidContactError, match=r"\+393331234567"):
        wa_id_of(bad)


def test_pseudonyms_are_keyed_and_distinct_per_purpose() -> None:
    assert conversation_id("393331234567", b"a") != conversation_id("393331234567", b"b")
    assert len(conversation_id("393331234567", b"a")) == 16
    assert subject_hash("393331234567", b"a")[:16] != conversation_id("393331234567", b"a")


@pytest.mark.parametrize(
    ("text", "masked"),
    [("call +39 333 123 4567 now", "call ***567 now"),
     ("/conversations/%2B393331234567/gate", "/conversations/%2B***567/gate"),
     ("write to giulia.bianchi@example.it", "write to g***@example.it"),
     ("on 2026-03-03 at 127.0.0.1:8300", "on 2026-03-03 at 127.0.0.1:8300"),
     ("ticket T-000042, 3 rooms, 350000 EUR", "ticket T-000042, 3 rooms, 350000 EUR")],
)
def test_masking_hides_numbers_and_emails_but_not_dates_or_amounts(text: str, masked: str) -> None:
    assert mask_text(text) == masked


def test_event_masking_redacts_secret_fields_at_any_depth() -> None:
    event = {"event": "x", "headers": {"Authorization": "Bearer t"}, "items": ["+393331234567"],
             "password": "p", "count": 3}
    assert mask_event(None, "info", event) == {
        "event": "x", "headers": {"Authorization": "[redacted]"}, "items": ["***567"],
        "password": "[redacted]", "count": 3}
