from __future__ import annotations

import pytest

from facts import FactKey, extract_facts


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("mi serve l'APE e la visura catastale", ["APE", "visura catastale"]),
        ("ho l'ape", ["APE"]),
        ("attestato di prestazione energetica", ["APE"]),
        ("porto la busta paga e il 730", ["busta paga", "730"]),
        ("send me your payslips and the EPC", ["busta paga", "APE"]),
        ("la planimetria catastale", ["planimetria"]),
        ("planimetira", ["planimetria"]),
        ("carta d'identità e passaporto", ["carta d'identità", "passaporto"]),
        ("abbiamo fissato il rogito", ["rogito"]),
        ("l'atto di provenienza", ["atto di provenienza"]),
        ("il CUD e il contratto di lavoro", ["CUD", "contratto di lavoro"]),
        ("manca il certificato di agibilità", ["certificato di agibilità"]),
        ("I need my passport", ["passaporto"]),
        ("firmare il compromesso", ["compromesso"]),
    ],
)
def test_documents(text: str, expected: list[str]) -> None:
    assert [f.value for f in extract_facts(text) if f.key is FactKey.DOCUMENT] == expected


@pytest.mark.parametrize("text", ["730 euro", "una ape sul balcone", "un compromesso accettabile"])
def test_not_documents(text: str) -> None:
    assert FactKey.DOCUMENT not in {f.key for f in extract_facts(text, "it")}
