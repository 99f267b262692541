from __future__ import annotations

import pytest

from facts import FactKey, extract_facts, parse_budget


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("300k", 300_000),
        ("300.000 €", 300_000),
        ("300 mila euro", 300_000),
        ("budget 300000", 300_000),
        ("tra 250 e 300 mila", 300_000),
        ("between 250 and 300k", 300_000),
        ("da 250.000 a 300.000 euro", 300_000),
        ("250-300k", 300_000),
        ("max 1.200 al mese", 1200),
        ("1200€/mese", 1200),
        ("up to 1,500 per month", 1500),
        ("1,5 milioni", 1_500_000),
        ("1.5M", 1_500_000),
        ("un milione e mezzo", 1_500_000),
        ("€ 450.000", 450_000),
        ("EUR 450,000", 450_000),
        ("trecentomila euro", 300_000),
        ("fino a 350.000", 350_000),
        ("Budget: 300", 300_000),  # bare with a cue: under 500 means thousands
        ("l'annuncio in via Tortona a 320.000, è disponibile?", 320_000),  # grouped thousands
    ],
)
def test_budget_in_free_text(text: str, expected: int) -> None:
    budgets = [fact.value for fact in extract_facts(text) if fact.key is FactKey.BUDGET_MAX]
    assert budgets == [expected]


@pytest.mark.parametrize(
    "text",
    [
        "3",
        "2024",
        "ho 3 figli",
        "nel 2024 ho venduto",
        "3 al mese",
        "un mio amico",
        "tra 2 e 3 locali",
    ],
)
def test_bare_numbers_are_not_budgets(text: str) -> None:
    keys = {fact.key for fact in extract_facts(text)}
    assert FactKey.BUDGET_MAX not in keys
    assert FactKey.AMOUNT not in keys


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("la caparra è di 20.000 €", 20_000),
        ("ho 500 euro di spese condominiali", 500),
        ("l'agenzia chiede 3.000 euro di provvigione", 3000),
        ("a mortgage of 200k", 200_000),
        ("the deposit is €2,400", 2400),
        ("costa 5 euro", 5),
    ],
)
def test_other_amounts_are_amount(text: str, expected: int) -> None:
    facts = extract_facts(text)
    assert [
        (fact.key, fact.value) for fact in facts if fact.key in (FactKey.AMOUNT, FactKey.BUDGET_MAX)
    ] == [(FactKey.AMOUNT, expected)]


@pytest.mark.parametrize(
    ("text", "lead_type", "expected"),
    [
        ("300", "buy", 300_000),
        ("300", "sell", 300_000),
        ("300", "rent", 300),
        ("300", None, 300_000),
        ("1200", None, 1200),
        ("1200", "rent", 1200),
        ("trecento", "buy", 300_000),
        ("circa 350 mila", "buy", 350_000),
        ("tra 250 e 300", "buy", 300_000),
        ("1.2k", "rent", 1200),
        ("450.000", "buy", 450_000),
        ("massimo 900 euro al mese", "rent", 900),
        ("300k ma posso arrivare a 320k", "buy", 320_000),
        ("about 2 million", "buy", 2_000_000),
    ],
)
def test_parse_budget(text: str, lead_type: str | None, expected: int) -> None:
    assert parse_budget(text, lead_type=lead_type) == expected


@pytest.mark.parametrize(
    ("text", "lead_type"),
    [
        ("banana", None),
        ("boh", None),
        ("non lo so", "buy"),
        ("0", None),
        ("0 euro", "rent"),
        ("-5", None),
        ("-300000", "buy"),
        ("300 euro", "buy"),  # written euros, implausible for a purchase
        ("1,5", "buy"),  # too small to be thousands: not guessed
        ("30", "rent"),
        ("asdf", "rent"),
    ],
)
def test_parse_budget_rejects_nonsense(text: str, lead_type: str | None) -> None:
    assert parse_budget(text, lead_type=lead_type) is None
