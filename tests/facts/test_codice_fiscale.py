from __future__ import annotations

import pytest

from facts import FactKey, extract_facts, is_valid_codice_fiscale

# Checked against an independent implementation (python-codicefiscale).
VALID = [
    "RSSMRA85T10A562S",
    "BNCGLI90A41F205H",  # a woman (day + 40)
    "VRDLCU80E15H501C",
    "SMTJHN75S07L219K",
    "RSSMRA85T10A56NH",  # omocodia: last digit replaced by a letter
    "BNCGLI90A41F20RC",
    "BNCGLIVLAQMFNLRG",  # every digit replaced
]


@pytest.mark.parametrize("code", VALID)
def test_valid_codes(code: str) -> None:
    assert is_valid_codice_fiscale(code)
    assert is_valid_codice_fiscale(code.lower())


@pytest.mark.parametrize(
    "code",
    [
        "RSSMRA85T10A562T",  # wrong check letter
        "RSSMRA85T10A562",  # too short
        "RSSMRA85Z10A562S",  # Z is not a month
        "RSSMRA85T99A562S",  # day 99
        "1234567890123456",
        "banana",
        "",
    ],
)
def test_invalid_codes(code: str) -> None:
    assert not is_valid_codice_fiscale(code)


def test_code_in_free_text_is_upper_cased() -> None:
    text = "il mio codice fiscale è rssmra85t10a562s, grazie"
    facts = extract_facts(text)
    assert [(f.key, f.value, f.raw) for f in facts] == [
        (FactKey.CODICE_FISCALE, "RSSMRA85T10A562S", "rssmra85t10a562s")
    ]


def test_invalid_code_in_free_text_is_ignored() -> None:
    assert FactKey.CODICE_FISCALE not in {f.key for f in extract_facts("CF RSSMRA85T10A562T")}
