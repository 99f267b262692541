from __future__ import annotations

import time
from datetime import datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from facts import Fact, FactKey, extract_facts
from tests.facts.conftest import NOW

MESSAGES = [
    "Ciao, mi chiamo Mario Rossi, vorrei comprare un trilocale ai Navigli, budget tra 250 e 300 "
    "mila, almeno 80 mq, entro l'estate. Il mio numero è 333 123 4567, email Mario.Rossi@Gmail.com",
    "Hi, I'm John. Looking to rent a two-bedroom flat in Isola, max 1.200 al mese, asap",
    "Il mio codice fiscale è RSSMRA85T10A562S, vi mando la busta paga e il 730 lunedì prossimo",
    "La caparra è di 20.000 € e la visita è il 15/03/2026",
    "vorrei vendere casa a Sesto San Giovanni, vale 1,5 milioni",
    "March 15th works for me, call me on +39 333-1234567",
    "Buongiorno! Cerco bilocale in affitto zona Città Studi, 900€ al mese, da settembre",
    "salve, è possibile vedere l'appartamento in Porta Romana domani?",
    "ok grazie 👍",
    "We'd like to buy a 3-bedroom apartment in CityLife, up to 1.5M, 120 sqm, within 6 months",
    "Perché c'è ancora l'APE mancante? ‘Sono’ Giulia — scrivete a giulia@example.it",
    "İstanbul? ß straße ﬁ ligature 300k ǅ",
]


def test_full_lead_message(now: datetime) -> None:
    facts = extract_facts(MESSAGES[0], now=now)
    assert {(f.key, f.value) for f in facts} == {
        (FactKey.CONTACT_NAME, "Mario Rossi"),
        (FactKey.LEAD_TYPE, "buy"),
        (FactKey.ROOMS, 3),
        (FactKey.AREA, "Navigli"),
        (FactKey.BUDGET_MAX, 300_000),
        (FactKey.SURFACE_MIN, 80),
        (FactKey.TIMEFRAME, 3),
        (FactKey.CONTACT_PHONE, "+393331234567"),
        (FactKey.CONTACT_EMAIL, "mario.rossi@gmail.com"),
    }


def test_english_lead_message(now: datetime) -> None:
    facts = extract_facts(MESSAGES[9], now=now)
    assert {(f.key, f.value) for f in facts} == {
        (FactKey.LEAD_TYPE, "buy"),
        (FactKey.ROOMS, 4),
        (FactKey.AREA, "CityLife"),
        (FactKey.BUDGET_MAX, 1_500_000),
        (FactKey.SURFACE_MIN, 120),
        (FactKey.TIMEFRAME, 6),
    }


def test_documents_and_code(now: datetime) -> None:
    facts = extract_facts(MESSAGES[2], now=now)
    assert [(f.key, f.value) for f in facts] == [
        (FactKey.CODICE_FISCALE, "RSSMRA85T10A562S"),
        (FactKey.DOCUMENT, "busta paga"),
        (FactKey.DOCUMENT, "730"),
        (FactKey.DATE, "2026-03-09"),
    ]


@pytest.mark.parametrize("text", ["", "   ", "3", "2024", "ok", "👍", "boh", "asdf", "?!"])
def test_nothing_is_invented(text: str) -> None:
    assert extract_facts(text) == []


@pytest.mark.parametrize("text", MESSAGES)
@pytest.mark.parametrize("lang", [None, "it", "en"])
def test_raw_is_the_exact_substring(text: str, lang: str | None) -> None:
    facts = extract_facts(text, lang, now=NOW)
    for fact in facts:
        assert fact.raw == text[fact.start : fact.end]
    spans = sorted((fact.start, fact.end) for fact in facts)
    assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:], strict=False))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.one_of(
            st.text(max_size=12),
            st.sampled_from(
                [
                    "300k",
                    "mq",
                    "Isola",
                    "à",
                    "’",
                    "entro",
                    "mesi",
                    "3",
                    "locali",
                    "€",
                    " ",
                    "@",
                    "RSSMRA85T10A562S",
                    "333 123 4567",
                    "ﬁ",
                    "İ",
                    "tra",
                    "e",
                    "mila",
                    "15/03",
                ]
            ),
        ),
        max_size=12,
    ).map("".join)
)
def test_raw_invariant_on_random_text(text: str) -> None:
    for fact in extract_facts(text, now=NOW):
        assert isinstance(fact, Fact)
        assert fact.raw == text[fact.start : fact.end]
        assert fact.start < fact.end


def test_facts_are_frozen() -> None:
    fact = extract_facts("300k")[0]
    with pytest.raises(ValueError):
        fact.value = 1  # type: ignore[misc]


def test_extraction_is_fast() -> None:
    for text in MESSAGES:  # warm-up: pipelines, gazetteers, word lists
        extract_facts(text, now=NOW)
    best = min(_time_per_message() for _ in range(5))
    assert best < 2e-3, f"{best * 1e3:.2f} ms per message"


def _time_per_message(rounds: int = 10) -> float:
    start = time.perf_counter()
    for _ in range(rounds):
        for text in MESSAGES:
            extract_facts(text, now=NOW)
    return (time.perf_counter() - start) / (rounds * len(MESSAGES))
