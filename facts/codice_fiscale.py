"""Italian tax code (codice fiscale) with its check character, omocodia included.

The 16 characters are: 3+3 letters (surname, name), 2 year digits, a month letter,
2 day digits (+40 for women), 4 characters of birthplace, 1 check letter. When two
people would share a code, digits are replaced by letters (omocodia: 0-9 ->
L M N P Q R S T U V), and the check letter is computed on the code as written.
"""

from __future__ import annotations

import re

from facts.models import FactKey
from facts.text import Candidate

_OMOCODE = "LMNPQRSTUV"
_DIGIT = rf"[0-9{_OMOCODE}]"
MONTH_LETTERS = "ABCDEHLMPRST"
CODE_RE = re.compile(
    rf"(?<![A-Za-z0-9])[A-Za-z]{{6}}{_DIGIT}{{2}}[{MONTH_LETTERS}]{_DIGIT}{{2}}"
    rf"[A-Za-z]{_DIGIT}{{3}}[A-Za-z](?![A-Za-z0-9])",
    re.IGNORECASE,
)
_ODD_VALUES = [
    1,
    0,
    5,
    7,
    9,
    13,
    15,
    17,
    19,
    21,
    2,
    4,
    18,
    20,
    11,
    3,
    6,
    8,
    12,
    14,
    16,
    10,
    22,
    25,
    24,
    23,
]
_DIGIT_POSITIONS = (6, 7, 9, 10, 12, 13, 14)


def _char_value(char: str, odd: bool) -> int:
    """Value of one character at an odd (1st, 3rd, ...) or even position."""
    index = int(char) if char.isdigit() else ord(char) - ord("A")
    return _ODD_VALUES[index] if odd else index


def check_character(first_fifteen: str) -> str:
    """Compute the check letter of the first 15 characters (upper case)."""
    total = sum(_char_value(char, position % 2 == 0) for position, char in enumerate(first_fifteen))
    return chr(ord("A") + total % 26)


def _day_is_valid(code: str) -> bool:
    """The day field (omocodia decoded) must be 1-31 or 41-71."""
    digits = "".join(str(_OMOCODE.index(char)) if char in _OMOCODE else char for char in code[9:11])
    day = int(digits)
    return 1 <= day <= 31 or 41 <= day <= 71


def is_valid_codice_fiscale(code: str) -> bool:
    """Tell whether a 16-character code has a valid structure and check letter."""
    if not isinstance(code, str):
        return False
    code = code.strip().upper()
    if len(code) != 16 or not CODE_RE.fullmatch(code):
        return False
    return _day_is_valid(code) and check_character(code[:15]) == code[15]


def codice_fiscale_candidates(text: str) -> list[Candidate]:
    """Return the `codice_fiscale` candidates (valid codes only, upper case)."""
    found = []
    for match in CODE_RE.finditer(text):
        if is_valid_codice_fiscale(match.group()):
            value = match.group().upper()
            found.append(Candidate(FactKey.CODICE_FISCALE, value, match.start(), match.end()))
    return found
