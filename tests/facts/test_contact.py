from __future__ import annotations

import pytest

from facts import FactKey, extract_facts, parse_email, parse_phone


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("333 123 4567", "+393331234567"),
        ("+39 333-1234567", "+393331234567"),
        ("0039 333 1234567", "+393331234567"),
        ("3331234567", "+393331234567"),
        ("02 1234567", "+39021234567"),  # Milan landline
        ("chiamami al 347.123.4567 dopo le 18", "+393471234567"),
        ("+44 20 7946 0958", "+442079460958"),
        ("James Taylor, you can call me on +44 7700 900123", "+447700900123"),  # unassigned range
    ],
)
def test_parse_phone(text: str, expected: str) -> None:
    assert parse_phone(text) == expected


@pytest.mark.parametrize("text", ["12345", "banana", "", "300000", "boh", "999"])
def test_parse_phone_rejects_nonsense(text: str) -> None:
    assert parse_phone(text) is None


def test_phone_in_free_text_is_not_a_budget() -> None:
    text = "il mio numero è 333 123 4567, budget 300k"
    facts = extract_facts(text)
    assert [(f.key, f.value) for f in facts] == [
        (FactKey.CONTACT_PHONE, "+393331234567"),
        (FactKey.BUDGET_MAX, 300_000),
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Mario.Rossi@Gmail.com", "mario.rossi@gmail.com"),
        ("scrivimi a giulia.b@example.it.", "giulia.b@example.it"),
        ("my email is JOHN+casa@Example.co.uk thanks", "john+casa@example.co.uk"),
    ],
)
def test_parse_email(text: str, expected: str) -> None:
    assert parse_email(text) == expected


@pytest.mark.parametrize("text", ["mario@", "asdf", "mario at gmail dot com", "@gmail.com", "a@b"])
def test_parse_email_rejects_nonsense(text: str) -> None:
    assert parse_email(text) is None
