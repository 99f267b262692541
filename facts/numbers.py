"""Numbers written with digits or words, in Italian and English.

`NUM` is a regular-expression fragment that finds a number in folded text (see
`facts.text.fold`); `to_number` turns what it found into a value.
"""

from __future__ import annotations

import re

_IT_ADDITIVE = {
    "zero": 0,
    "un": 1,
    "uno": 1,
    "una": 1,
    "due": 2,
    "tre": 3,
    "quattro": 4,
    "cinque": 5,
    "sei": 6,
    "sette": 7,
    "otto": 8,
    "nove": 9,
    "dieci": 10,
    "undici": 11,
    "dodici": 12,
    "tredici": 13,
    "quattordici": 14,
    "quindici": 15,
    "sedici": 16,
    "diciassette": 17,
    "diciotto": 18,
    "diciannove": 19,
}
_IT_TENS = {
    "venti": 20,
    "trenta": 30,
    "quaranta": 40,
    "cinquanta": 50,
    "sessanta": 60,
    "settanta": 70,
    "ottanta": 80,
    "novanta": 90,
}
# Tens lose their final vowel before "uno" and "otto" (ventuno, trentotto).
_IT_TENS_ELIDED = {word[:-1]: value for word, value in _IT_TENS.items()}
_IT_HUNDRED = {"cento": 100, "cent": 100}
_IT_THOUSAND = {"mille": 1000, "mila": 1000}
_IT_MORPHEMES: dict[str, int] = {
    **_IT_ADDITIVE,
    **_IT_TENS,
    **_IT_TENS_ELIDED,
    **_IT_HUNDRED,
    **_IT_THOUSAND,
}

_EN_SMALL = {
    "zero": 0,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
}
_EN_SCALES = {"hundred": 100, "thousand": 1000}
_EN_WORDS = sorted([*_EN_SMALL, *_EN_SCALES], key=len, reverse=True)


def _alternation(words: list[str] | dict[str, int]) -> str:
    return "|".join(sorted(words, key=len, reverse=True))


DIGITS = r"(?<![\w.,])(?:\d{1,3}(?:[.,]\d{3})+(?:[.,]\d{1,2})?|\d+(?:[.,]\d+)?)(?![.,]?\d)"
IT_WORDS = rf"\b(?:{_alternation(_IT_MORPHEMES)})+\b"
EN_WORDS = (
    rf"\b(?:{_alternation(_EN_WORDS)})(?:(?:[\s-]+|\s+and\s+)(?:{_alternation(_EN_WORDS)}))*\b"
)
NUM = rf"(?:{DIGITS}|{IT_WORDS}|{EN_WORDS})"
_DIGITS_RE = re.compile(DIGITS)


def parse_digits(token: str) -> float | None:
    """Read `1.200`, `300,000`, `1,5`, `1.250,50` or `1,250.50` as a number.

    A separator followed by exactly three digits groups thousands; otherwise it is
    the decimal mark, so `1.200` is 1200 and `1,5` is 1.5.
    """
    token = token.strip()
    if not token or not _DIGITS_RE.fullmatch(token):
        return None
    separators = [char for char in token if char in ".,"]
    if not separators:
        return float(token)
    groups = re.split(r"[.,]", token)
    if len(separators) >= 2 and separators[-1] != separators[0]:
        decimals = groups.pop()
        return float("".join(groups) + "." + decimals)
    if all(len(group) == 3 for group in groups[1:]):
        return float("".join(groups))
    if len(separators) == 1:
        return float(groups[0] + "." + groups[1])
    return None


def _split_it(word: str) -> list[int] | None:
    """Split a compound Italian number word into morpheme values (with backtracking)."""
    if not word:
        return []
    for morpheme in sorted(_IT_MORPHEMES, key=len, reverse=True):
        if word.startswith(morpheme):
            rest = _split_it(word[len(morpheme) :])
            if rest is not None:
                return [_IT_MORPHEMES[morpheme], *rest]
    return None


def _combine(values: list[int]) -> int | None:
    """Combine morpheme values (units, tens, 100, 1000) into one number."""
    total, current, previous = 0, 0, None
    for value in values:
        if value == 1000:
            total += (current or 1) * 1000
            current, previous = 0, None
        elif value == 100:
            if current >= 10:
                return None
            current = (current or 1) * 100
            previous = None
        else:
            if previous is not None and not (previous >= 20 and previous % 10 == 0 and value < 10):
                return None
            current += value
            previous = value
    return total + current


def parse_italian_word(word: str) -> int | None:
    """Read an Italian number word such as `tre`, `ottanta`, `duecentocinquantamila`."""
    if word in ("un", "una", "uno"):
        return 1
    values = _split_it(word)
    if not values:
        return None
    return _combine(values)


def parse_english_words(phrase: str) -> int | None:
    """Read English number words such as `eighty-five` or `two hundred and fifty`."""
    words = [word for word in re.split(r"[\s-]+", phrase) if word and word != "and"]
    if not words:
        return None
    total, current = 0, 0
    for word in words:
        if word in _EN_SMALL:
            current += _EN_SMALL[word]
        elif word == "hundred":
            current = (current or 1) * 100
        elif word == "thousand":
            total += (current or 1) * 1000
            current = 0
        else:
            return None
    return total + current


def to_number(token: str) -> float | None:
    """Turn a match of `NUM` (in folded text) into a value, or None."""
    token = token.strip()
    if not token:
        return None
    if token[0].isdigit():
        return parse_digits(token)
    if " " in token or "-" in token or token in _EN_SMALL or token in _EN_SCALES:
        value = parse_english_words(token)
        if value is not None:
            return float(value)
    value = parse_italian_word(token)
    return None if value is None else float(value)


def as_int_or_float(value: float) -> int | float:
    """Return an int when the value has no fractional part."""
    return int(value) if float(value).is_integer() else value
