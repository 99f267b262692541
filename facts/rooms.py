"""Number of rooms ("locali"), the Italian way of counting a flat.

- "monolocale"/"studio" 1, "bilocale" 2, "trilocale" 3, "quadrilocale" 4,
  "pentalocale" 5 (also "bilo", "trilo");
- "3 locali", "tre vani", "3 stanze", "3 rooms" -> 3;
- bedrooms count one more room, the living room: "2 camere da letto",
  "two-bedroom flat", "3 bed" -> bedrooms + 1;
- a range ("3-4 locali", "3 o 4 locali") gives its lower bound.
"""

from __future__ import annotations

import re

from facts.models import FactKey
from facts.numbers import NUM, to_number
from facts.text import Candidate, fold

ROOM_WORDS = {"mono": 1, "bi": 2, "tri": 3, "quadri": 4, "penta": 5, "esa": 6}
WORD_RE = re.compile(
    r"\b(?P<prefix>mono|bi|tri|quadri|penta|esa)local[ei]\b|\b(?P<short>bilo|trilo)\b"
)
STUDIO_RE = re.compile(r"\b(?:studio\s+(?:flat|apartment|apt)|bedsit|studio)\b")
COUNT_RE = re.compile(
    rf"(?:(?P<low>{NUM})\s*(?:-|–|/|\bo\b|\bor\b|\bto\b)\s*)?(?P<num>{NUM})\s*-?\s*"
    r"(?:(?P<rooms>locali|locale|vani|vano|stanze|stanza|rooms|room|ambienti)"
    r"|(?P<bedrooms>camere\s+da\s+letto|camera\s+da\s+letto|camere|camera|bedrooms|bedroom"
    r"|beds|bed|br|bdr))(?![a-z])"
)
MIN_ROOMS, MAX_ROOMS = 1, 20


def _count(match: re.Match[str]) -> int | None:
    """Return the rooms of a "N locali"/"N bedrooms" match (lower bound of a range)."""
    number = to_number(match.group("low") or match.group("num"))
    if number is None or not number.is_integer():
        return None
    rooms = int(number) + (1 if match.group("bedrooms") else 0)
    if match.group("bedrooms") and number == 0:
        return None
    return rooms if MIN_ROOMS <= rooms <= MAX_ROOMS else None


def rooms_candidates(text: str, lang: str | None = None) -> list[Candidate]:
    """Return the `rooms` candidates of a message."""
    folded = fold(text)
    candidates = []
    for match in WORD_RE.finditer(folded):
        prefix = match.group("prefix") or match.group("short")[:-2]
        value = ROOM_WORDS[prefix]
        candidates.append(Candidate(FactKey.ROOMS, value, match.start(), match.end()))
    for match in COUNT_RE.finditer(folded):
        count = _count(match)
        if count is not None:
            candidates.append(Candidate(FactKey.ROOMS, count, match.start(), match.end()))
    if lang == "en" or re.search(r"\bstudio\s+(?:flat|apartment|apt)\b|\bbedsit\b", folded):
        for match in STUDIO_RE.finditer(folded):
            candidates.append(Candidate(FactKey.ROOMS, 1, match.start(), match.end()))
    return sorted(candidates, key=lambda candidate: candidate.start)


def parse_rooms(text: str, lang: str | None = None) -> int | None:
    """Return the rooms from an answer to "how many rooms?"; a bare number counts."""
    if not text or not text.strip():
        return None
    folded = fold(text)
    if re.search(r"(?:^|[^\w\d])-\s*\d", folded):
        return None
    found = rooms_candidates(text, lang or "it")
    if found:
        return int(found[0].value)
    if re.search(r"\d", folded) and re.search(r"\b(?:locali|vani|stanze|rooms|camere)\b", folded):
        return None
    match = re.search(rf"(?P<num>{NUM})", folded)
    if not match:
        return None
    number = to_number(match.group("num"))
    if number is None or not number.is_integer() or not MIN_ROOMS <= number <= MAX_ROOMS:
        return None
    return int(number)
