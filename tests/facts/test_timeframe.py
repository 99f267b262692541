from __future__ import annotations

from datetime import datetime

import pytest

from facts import FactKey, extract_facts, parse_timeframe
from tests.facts.conftest import NOW, ROME


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("entro 3 mesi", 3),
        ("tra sei mesi", 6),
        ("fra 6 mesi", 6),
        ("within 6 months", 6),
        ("in a couple of months", 2),
        ("entro un paio di mesi", 2),
        ("entro un anno e mezzo", 18),
        ("tra 3 e 6 mesi", 6),
        ("subito", 0),
        ("il prima possibile", 0),
        ("asap", 0),
        ("immediately", 0),
        ("il mese prossimo", 1),
        ("entro l'estate", 3),  # 2 March -> June
        ("by the summer", 3),
        ("entro fine anno", 9),
        ("by the end of the year", 9),
        ("il prossimo anno", 10),
        ("next year", 10),
        ("a settembre", 6),
        ("in September", 6),
        ("entro marzo", 0),
        ("entro gennaio", 10),
        ("nel 2027", 10),
        ("non ho fretta", "non ho fretta"),
        ("no rush", "no rush"),
    ],
)
def test_timeframe_in_free_text(text: str, expected: int | str, now: datetime) -> None:
    values = [f.value for f in extract_facts(text, now=now) if f.key is FactKey.TIMEFRAME]
    assert values == [expected]


@pytest.mark.parametrize(
    "text",
    [
        "ho comprato 3 mesi fa",
        "affitto per 6 mesi",
        "real estate agent",
        "estate agents in Milan",
        "I saw the estate yesterday",
        "prices fall",
    ],
)
def test_not_a_timeframe(text: str, now: datetime) -> None:
    assert FactKey.TIMEFRAME not in {f.key for f in extract_facts(text, now=now)}


@pytest.mark.parametrize(
    ("when", "expected"),
    [
        (datetime(2026, 7, 10, tzinfo=ROME), 0),  # already summer
        (datetime(2026, 10, 1, tzinfo=ROME), 8),  # next June
        (datetime(2026, 6, 1, tzinfo=ROME), 0),  # June, summer starts on the 21st
    ],
)
def test_summer_depends_on_now(when: datetime, expected: int) -> None:
    assert parse_timeframe("entro l'estate", now=when) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("settembre", 6),
        ("3 mesi", 3),
        ("6 months", 6),
        ("estate", 3),
        ("subito", 0),
        ("tra un mese", 1),
    ],
)
def test_parse_timeframe_bare_answers(text: str, expected: int) -> None:
    assert parse_timeframe(text, now=NOW) == expected


@pytest.mark.parametrize("text", ["banana", "boh", "2024", "", "asdf"])
def test_parse_timeframe_rejects_nonsense(text: str) -> None:
    assert parse_timeframe(text, now=NOW) is None


def test_default_now_is_used() -> None:
    assert parse_timeframe("entro 3 mesi") == 3
