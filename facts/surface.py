"""Surface in square metres: "80 mq", "80m2", "ottanta metri quadri", "80 sqm".

A range ("70-90 mq") gives its lower bound, since the slot is the minimum surface.
Square feet are converted ("800 sq ft" -> 74). Plain "metri" counts only when no
distance follows ("100 metri dalla metro" is a distance).
"""

from __future__ import annotations

import re

from facts.models import FactKey
from facts.numbers import NUM, to_number
from facts.text import Candidate, fold

SQFT = r"(?:sq\.?\s?ft\.?|sqft|square\s+f(?:ee|oo)t)"
SQM = (
    r"(?:mq\.?|m2|m²|m\^2|mtq|mt2|mq2|metri\s+quadr[a-z]*|metriquadr[a-z]*|metro\s+quadr[a-z]*"
    r"|sqm|sq\.?\s?m\.?|square\s+met(?:er|re)s?|m\s?q)"
)
PLAIN_METRES = r"(?:metri|mt|mtr)"
UNIT = rf"(?:(?P<sqft>{SQFT})|(?P<sqm>{SQM})|(?P<plain>{PLAIN_METRES}))(?![a-z0-9])"
SURFACE_RE = re.compile(
    rf"(?:(?P<low>{NUM})\s*(?:-|–|/|\bo\b|\bor\b|\bto\b|\ba\b)\s*)?(?P<num>{NUM})\s*{UNIT}"
)
DISTANCE_AFTER = re.compile(
    r"\s*(?:da|dal|dalla|dalle|dallo|dai|dagli|from|away|a piedi|di distanza)\b"
)
BARE_RE = re.compile(rf"(?:(?P<low>{NUM})\s*(?:-|–|/|\bo\b|\bor\b|\bto\b)\s*)?(?P<num>{NUM})")
MIN_SURFACE, MAX_SURFACE = 10, 5000
SQFT_TO_SQM = 0.09290304


def _surface_value(match: re.Match[str]) -> int | None:
    """Return the (lower-bound) surface of a match in square metres."""
    number = to_number(match.group("low") or match.group("num"))
    if number is None:
        return None
    if match.groupdict().get("sqft"):
        number *= SQFT_TO_SQM
    value = round(number)
    return value if MIN_SURFACE <= value <= MAX_SURFACE else None


def surface_candidates(text: str) -> list[Candidate]:
    """Return the `surface_min` candidates of a message."""
    folded = fold(text)
    candidates = []
    for match in SURFACE_RE.finditer(folded):
        if match.group("plain") and DISTANCE_AFTER.match(folded, match.end()):
            continue
        if _is_negative(folded, match.start()):
            continue
        value = _surface_value(match)
        if value is not None:
            candidates.append(Candidate(FactKey.SURFACE_MIN, value, match.start(), match.end()))
    return candidates


def _is_negative(folded: str, start: int) -> bool:
    """Tell whether a minus sign stands right before the number."""
    return folded[:start].rstrip().endswith("-") and not re.search(r"\d\s*-\s*$", folded[:start])


def parse_surface(text: str, lang: str | None = None) -> int | None:
    """Return the minimum surface (m²) from an answer to "how big?"; a bare number counts."""
    del lang
    if not text or not text.strip():
        return None
    folded = fold(text)
    if re.search(r"(?:^|[^\w])-\s*\d", folded) and not re.search(r"\d\s*-\s*\d", folded):
        return None
    found = surface_candidates(text)
    if found:
        return int(found[0].value)
    match = BARE_RE.search(folded)
    return _surface_value(match) if match else None
