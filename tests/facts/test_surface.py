from __future__ import annotations

import pytest

from facts import FactKey, extract_facts, parse_surface


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("80 mq", 80),
        ("80m2", 80),
        ("80 m²", 80),
        ("80 metri quadri", 80),
        ("80 metri quadrati", 80),
        ("ottanta metri quadri", 80),
        ("almeno 90 mq", 90),
        ("80 sqm", 80),
        ("80 square meters", 80),
        ("80 square metres", 80),
        ("un bilocale di 60mq", 60),
        ("70-90 mq", 70),  # the slot is a minimum: lower bound
        ("800 sq ft", 74),
        ("almeno 100 metri", 100),
    ],
)
def test_surface_in_free_text(text: str, expected: int) -> None:
    values = [fact.value for fact in extract_facts(text) if fact.key is FactKey.SURFACE_MIN]
    assert values == [expected]


@pytest.mark.parametrize(
    "text", ["100 metri dalla metro", "a 200 metri from the station", "80", "piano 3"]
)
def test_not_a_surface(text: str) -> None:
    assert FactKey.SURFACE_MIN not in {fact.key for fact in extract_facts(text)}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("80", 80),
        ("ottanta", 80),
        ("almeno 90", 90),
        ("70-90", 70),
        ("circa 120 mq", 120),
        ("85 sqm", 85),
    ],
)
def test_parse_surface(text: str, expected: int) -> None:
    assert parse_surface(text) == expected


@pytest.mark.parametrize("text", ["-5 mq", "banana", "boh", "0", "0 mq", "99999", "3 mq", ""])
def test_parse_surface_rejects_nonsense(text: str) -> None:
    assert parse_surface(text) is None
