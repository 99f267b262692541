"""Word lists shipped in `facts/data/` (first names)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from facts.text import fold

DATA_DIR = Path(__file__).with_name("data")


@lru_cache(maxsize=1)
def first_names() -> frozenset[str]:
    """Return common Italian and English first names, folded."""
    lines = (DATA_DIR / "first_names.txt").read_text(encoding="utf-8").splitlines()
    return frozenset(fold(line.strip()) for line in lines if line.strip() and line[0] != "#")


def is_first_name(word: str) -> bool:
    """Tell whether a word is a known first name (any case, accents ignored)."""
    return fold(word) in first_names()
