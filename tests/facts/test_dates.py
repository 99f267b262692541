from __future__ import annotations

from datetime import datetime

import pytest

from facts import FactKey, extract_facts


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("il 15 marzo", "2026-03-15"),
        ("15/03/2026", "2026-03-15"),
        ("15.03.26", "2026-03-15"),
        ("15/03", "2026-03-15"),
        ("1 marzo", "2027-03-01"),  # already past: next year
        ("March 15th", "2026-03-15"),
        ("15th of March", "2026-03-15"),
        ("on April 2, 2026", "2026-04-02"),
        ("lunedì prossimo", "2026-03-09"),
        ("lunedi prossimo", "2026-03-09"),
        ("next Friday", "2026-03-06"),
        ("ci vediamo sabato", "2026-03-07"),
        ("sabato prossimo", "2026-03-07"),
        ("domani", "2026-03-03"),
        ("tomorrow", "2026-03-03"),
        ("1° maggio", "2026-05-01"),
        ("03/15/2026", "2026-03-15"),  # month first only when day first is impossible
    ],
)
def test_dates(text: str, expected: str, now: datetime) -> None:
    values = [f.value for f in extract_facts(text, now=now) if f.key is FactKey.DATE]
    assert values == [expected]


@pytest.mark.parametrize(
    "text",
    [
        "3/4 locali",
        "31/02/2026",
        "1.200 euro",
        "2024",
        "a che ora aprite il sabato?",
        "every Monday",
    ],
)
def test_not_dates(text: str, now: datetime) -> None:
    assert FactKey.DATE not in {f.key for f in extract_facts(text, now=now)}
