from __future__ import annotations

import pytest

from facts import FactKey, extract_facts, match_area
from facts.areas import area_names

REQUIRED = """Navigli, Isola, Brera, Porta Romana, Porta Venezia, Porta Nuova, Porta Genova,
Porta Ticinese, Città Studi, NoLo, Centrale, Garibaldi, CityLife, Bicocca, Lambrate, Loreto,
Sempione, Tortona, San Siro, De Angeli, Bovisa, Niguarda, Corvetto, Lorenteggio, Barona,
Paolo Sarpi, Magenta, Centro, Moscova, Washington, Fiera, Dergano, Affori, Gorla, Turro,
Precotto, Greco, Ortica, Forlanini, Calvairate, Rogoredo, Santa Giulia, Gratosoglio, Baggio,
Quarto Oggiaro, Gallaratese, QT8, Portello, Maciachini, Crescenzago, Cimiano, Monza,
Sesto San Giovanni, Cinisello Balsamo, Rho, Assago, Segrate, Corsico, Buccinasco,
San Donato Milanese, Rozzano, Cologno Monzese, Bresso, Pero, Opera, Peschiera Borromeo, Milano"""


def test_gazetteer_has_every_required_place() -> None:
    names = area_names()
    required = [name.strip() for name in REQUIRED.split(",")]
    assert not set(required) - set(names)
    assert len(names) >= 60


@pytest.mark.parametrize("name", [name.strip() for name in REQUIRED.split(",")])
def test_each_canonical_name_matches_itself(name: str) -> None:
    assert match_area(name) == name


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("navili", "Navigli"),
        ("porta romna", "Porta Romana"),
        ("citta studi", "Città Studi"),
        ("city life", "CityLife"),
        ("nolo", "NoLo"),
        ("isola garibaldi", "Isola"),
        ("Isola", "Isola"),
        ("in centro", "Centro"),
        ("zona Duomo", "Centro"),
        ("stazione centrale", "Centrale"),
        ("p.ta venezia", "Porta Venezia"),
        ("Sesto", "Sesto San Giovanni"),
        ("bicoca", "Bicocca"),
        ("a milano, zona isola", "Isola"),  # the specific place beats the city
        ("Milano", "Milano"),
        ("preferirei Brera o Moscova", "Brera"),
    ],
)
def test_match_area(text: str, expected: str) -> None:
    assert match_area(text) == expected


@pytest.mark.parametrize(
    "text", ["banana", "boh", "asdf", "", "non lo so", "un isolato tranquillo"]
)
def test_match_area_rejects_nonsense(text: str) -> None:
    assert match_area(text) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("cerco casa ai navili", ["Navigli"]),
        ("all'Isola o ai Navigli", ["Isola", "Navigli"]),
        ("Navigli o Isola", ["Navigli", "Isola"]),
        ("un bilocale in centro", ["Centro"]),
        ("Looking for a flat near the Duomo", ["Centro"]),
        ("San Siro area", ["San Siro"]),
        ("vivo a Pero", ["Pero"]),
        ("casa a Monza", ["Monza"]),
        ("cerco a Milano zona Isola", ["Isola"]),
        ("Garibaldi please", ["Garibaldi"]),  # an ambiguous name as the whole answer
        ("Isola, grazie", ["Isola"]),
    ],
)
def test_areas_in_free_text(text: str, expected: list[str]) -> None:
    assert [f.value for f in extract_facts(text) if f.key is FactKey.AREA] == expected


@pytest.mark.parametrize(
    "text",
    [
        "un isolato tranquillo",
        "cucina con isola",
        "vicino al centro commerciale",
        "al sesto piano",
        "però preferisco il giardino",
        "riscaldamento centrale",
        "l'opera lirica",
        "sono Monia",
        "al turno di notte",
        "in corretto stato",
        "vacanza in Corsica",
        "cerco casa",
        "Buonasera gentile agenzia Casa Navigli",  # the agency's name, not the place
    ],
)
def test_common_words_are_not_areas(text: str) -> None:
    assert FactKey.AREA not in {f.key for f in extract_facts(text, "it")}
