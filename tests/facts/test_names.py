from __future__ import annotations

import pytest

from facts import FactKey, extract_facts, parse_person_name


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("mi chiamo Mario Rossi", "Mario Rossi"),
        ("Mi chiamo mario rossi e cerco casa", "Mario Rossi"),
        ("sono Giulia", "Giulia"),
        ("Ciao, sono Marco!", "Marco"),
        ("Mario Rossi", "Mario Rossi"),
        ("mario rossi", "Mario Rossi"),
        ("giulia bianchi, grazie", "Giulia Bianchi"),
        ("Maria De Luca", "Maria De Luca"),
        ("my name is John Smith", "John Smith"),
        ("John", "John"),
        ("this is Kate from London", "Kate"),
        ("Nome: Luca Verdi", "Luca Verdi"),
        ("sono il signor Bianchi", "Bianchi"),
        ("Salve, il mio nome è Anna Maria Conti", "Anna Maria Conti"),
        ("sono mario, vorrei comprare", "Mario"),
        ("Olivia Brown, olivia.brown@example.com", "Olivia Brown"),
        ("James Taylor, you can call me on +44 7700 900123", "James Taylor"),
        ("Ciao, Mario", "Mario"),
    ],
)
def test_parse_person_name(text: str, expected: str) -> None:
    assert parse_person_name(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "boh",
        "non lo so",
        "no",
        "ciao",
        "banana",
        "asdf",
        "Asdf",
        "12345",
        "mario.rossi@gmail.com",
        "sono interessato",
        "sono di Milano",
        "I'm looking for a flat",
        "sono felice",  # a first name that is also an everyday word needs a capital
        "mi chiamo banana",
        "vorrei comprare una casa a Milano con tre camere e un bel giardino",
        "ok grazie",
        "Perfetto",
        "Sono a Milano, Bovisa",
        "boh, non so",
        "",
    ],
)
def test_parse_person_name_rejects_non_names(text: str) -> None:
    assert parse_person_name(text) is None


def test_name_in_free_text() -> None:
    text = "Buongiorno, mi chiamo Giulia Bianchi e vorrei affittare un bilocale"
    names = [f for f in extract_facts(text) if f.key is FactKey.CONTACT_NAME]
    assert [(f.value, f.raw) for f in names] == [("Giulia Bianchi", "Giulia Bianchi")]


def test_no_name_without_a_cue() -> None:
    assert FactKey.CONTACT_NAME not in {f.key for f in extract_facts("cerco casa zona Isola")}
