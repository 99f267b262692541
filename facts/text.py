"""Text helpers shared by the extractors: offset-preserving folding and candidates."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from facts.models import FactKey

_APOSTROPHES = {"\u2019": "'", "\u2018": "'", "`": "'", "\u00b4": "'"}
_CLAUSE_BREAK = re.compile(r"[.;!?\n]|,\s")


@lru_cache(maxsize=512)
def _fold_char(char: str) -> str:
    """Lowercase one character and drop its accent, always returning one character."""
    if char in _APOSTROPHES:
        return _APOSTROPHES[char]
    lower = char.lower()
    if len(lower) != 1:
        return char
    return unicodedata.normalize("NFD", lower)[0]


def fold(text: str) -> str:
    """Lowercase and strip accents with a 1:1 character mapping.

    Offsets found in the folded text are valid in the original text, which is what
    lets every fact carry `raw == text[start:end]`.
    """
    if text.isascii():
        return text.lower()
    return "".join(_fold_char(char) for char in text)


def clause_bounds(text: str, start: int, end: int) -> tuple[int, int]:
    """Return the bounds of the clause (between punctuation) around a span."""
    left = 0
    for match in _CLAUSE_BREAK.finditer(text, 0, start):
        left = match.end()
    right_match = _CLAUSE_BREAK.search(text, end)
    right = right_match.start() if right_match else len(text)
    return left, right


def words_before(folded: str, start: int, count: int) -> list[str]:
    """Return up to `count` words right before `start`, inside the same clause."""
    left, _ = clause_bounds(folded, start, start)
    return re.findall(r"[\w'€]+", folded[left:start])[-count:]


def words_after(folded: str, end: int, count: int) -> list[str]:
    """Return up to `count` words right after `end`, inside the same clause."""
    _, right = clause_bounds(folded, end, end)
    return re.findall(r"[\w'€]+", folded[end:right])[:count]


@dataclass(frozen=True, slots=True)
class Candidate:
    """A fact found by one extractor, before overlaps are resolved."""

    key: FactKey
    value: str | int | float
    start: int
    end: int

    def overlaps(self, other: Candidate) -> bool:
        """Tell whether two candidates share at least one character."""
        return self.start < other.end and other.start < self.end
