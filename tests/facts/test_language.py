from __future__ import annotations

import time

import pytest

from facts import detect_language


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ciao", "it"),
        ("grazie", "it"),
        ("Buongiorno, è ancora disponibile?", "it"),
        ("c'è il parcheggio?", "it"),
        ("vorrei comprare un trilocale ai Navigli", "it"),
        ("cerco casa", "it"),
        ("hi", "en"),
        ("thanks", "en"),
        ("Is it still available?", "en"),
        ("what's the price", "en"),
        ("I would like to rent a flat in Isola", "en"),
        ("Good morning, can I book a viewing?", "en"),
    ],
)
def test_detect_language(text: str, expected: str) -> None:
    assert detect_language(text) == expected
    assert detect_language(text, default="en" if expected == "it" else "it") == expected


@pytest.mark.parametrize("text", ["ok", "300k", "👍", "", "Navigli", "no", "?"])
@pytest.mark.parametrize("default", ["it", "en"])
def test_ambiguous_text_returns_default(text: str, default: str) -> None:
    assert detect_language(text, default=default) == default


def test_detect_language_is_fast() -> None:
    text = "Buongiorno, vorrei sapere se il bilocale in zona Isola è ancora disponibile"
    best = min(_time_per_call(text) for _ in range(5))
    assert best < 0.2e-3


def _time_per_call(text: str, calls: int = 200) -> float:
    start = time.perf_counter()
    for _ in range(calls):
        detect_language(text)
    return (time.perf_counter() - start) / calls
