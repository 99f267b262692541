from __future__ import annotations

import pytest

from facts import FactKey, extract_facts, parse_rooms


@pytest.mark.parametrize(
    ("text", "lang", "expected"),
    [
        ("cerco un trilocale", "it", 3),
        ("bilocale luminoso", "it", 2),
        ("monolocale", "it", 1),
        ("quadrilocale", "it", 4),
        ("pentalocale con terrazzo", "it", 5),
        ("un bilo in zona Isola", "it", 2),
        ("3 locali", "it", 3),
        ("tre locali", "it", 3),
        ("3 o 4 locali", "it", 3),
        ("2 camere da letto", "it", 3),  # bedrooms + living room
        ("due camere", "it", 3),
        ("una camera da letto", "it", 2),
        ("3-bedroom apartment", "en", 4),
        ("a two-bedroom flat", "en", 3),
        ("3 bed flat", "en", 4),
        ("a studio near Brera", "en", 1),
        ("3 rooms", "en", 3),
    ],
)
def test_rooms_in_free_text(text: str, lang: str, expected: int) -> None:
    values = [fact.value for fact in extract_facts(text, lang) if fact.key is FactKey.ROOMS]
    assert values == [expected]


def test_studio_in_italian_is_not_a_room_count() -> None:
    assert FactKey.ROOMS not in {
        f.key for f in extract_facts("lavoro in uno studio notarile", "it")
    }


@pytest.mark.parametrize(
    ("text", "expected"),
    [("3", 3), ("tre", 3), ("trilocale", 3), ("Two", 2), ("2 bedrooms", 3), ("almeno 4 locali", 4)],
)
def test_parse_rooms(text: str, expected: int) -> None:
    assert parse_rooms(text) == expected


@pytest.mark.parametrize(
    "text", ["0 locali", "99999 locali", "banana", "boh", "-2", "0", "asdf", "non so"]
)
def test_parse_rooms_rejects_nonsense(text: str) -> None:
    assert parse_rooms(text) is None
