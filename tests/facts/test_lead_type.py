from __future__ import annotations

import pytest

from facts import FactKey, extract_facts


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("vorrei comprare casa", ["buy"]),
        ("Vorremmo acquistare un trilocale", ["buy"]),
        ("comprerei un bilocale", ["buy"]),
        ("cerco in affitto", ["rent"]),
        ("vorrei affittare un monolocale", ["rent"]),
        ("vendo il mio bilocale", ["sell"]),
        ("vorrei mettere in vendita casa", ["sell"]),
        ("I want to buy a flat", ["buy"]),
        ("looking to rent in Isola", ["rent"]),
        ("we are selling our house", ["sell"]),
        ("non voglio comprare, solo affittare", ["rent"]),
        ("vendo il bilocale per comprare un trilocale", ["sell", "buy"]),
        ("salve cerco un apartamento da conprare", ["buy"]),  # one typo forgiven
        ("vorrei aquistare", ["buy"]),
        ("cerco da afittare", ["rent"]),
    ],
)
def test_lead_type(text: str, expected: list[str]) -> None:
    assert [f.value for f in extract_facts(text) if f.key is FactKey.LEAD_TYPE] == expected


@pytest.mark.parametrize(
    "text",
    ["ho visto la casa in vendita", "quanto costa?", "I don't want to buy yet", "compare prices"],
)
def test_no_lead_type(text: str) -> None:
    assert FactKey.LEAD_TYPE not in {f.key for f in extract_facts(text)}
