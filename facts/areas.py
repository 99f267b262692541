"""Milan neighbourhoods and nearby towns, from the gazetteer `facts/data/areas.yml`."""

from __future__ import annotations

import re
from functools import lru_cache

from facts.gazetteer import Cues, Gazetteer, GazetteerMatch, load_yaml
from facts.lexicon import first_names
from facts.models import FactKey
from facts.nlp import folded_doc
from facts.text import Candidate, fold

CITY = "Milano"
AREA_CUES = Cues(
    before=frozenset(
        {
            "a",
            "ad",
            "ai",
            "al",
            "alla",
            "alle",
            "all'",
            "agli",
            "in",
            "nei",
            "nel",
            "nella",
            "nell'",
            "zona",
            "quartiere",
            "quartieri",
            "area",
            "verso",
            "vicino",
            "vicinanze",
            "pressi",
            "dintorni",
            "near",
            "around",
            "at",
            "to",
            "by",
            "towards",
            "district",
            "neighbourhood",
            "neighborhood",
            "zone",
            "dall'",
            "dalla",
            "dal",
            "sulla",
            "sul",
        }
    ),
    before_pairs=frozenset(
        {("parti", "di"), ("zona", "di"), ("pressi", "di"), ("vicino", "a"), ("vicinanze", "di")}
    ),
    after=frozenset({"area", "district", "neighbourhood", "neighborhood", "zone", "(mi)"}),
)


@lru_cache(maxsize=1)
def _not_area_phrases() -> re.Pattern[str] | None:
    """Compile the phrases that contain a place name but are not a place."""
    phrases = [fold(phrase) for phrase in load_yaml("areas.yml").get("not_area_phrases", [])]
    if not phrases:
        return None
    return re.compile(r"\b(?:" + "|".join(map(re.escape, phrases)) + r")\b")


def _outside_not_area_phrases(text: str, matches: list[GazetteerMatch]) -> list[GazetteerMatch]:
    """Drop matches inside a listed non-place phrase ("Casa Navigli", the agency)."""
    pattern = _not_area_phrases()
    if pattern is None:
        return matches
    blocked = [match.span() for match in pattern.finditer(fold(text))]
    return [
        m for m in matches if not any(start <= m.start and m.end <= end for start, end in blocked)
    ]


@lru_cache(maxsize=1)
def area_gazetteer() -> Gazetteer:
    """Load the area gazetteer once."""
    document = load_yaml("areas.yml")
    blocked = frozenset(document.get("not_areas", [])) | first_names()
    return Gazetteer.from_entries(document["areas"], AREA_CUES, blocked)


def area_names() -> list[str]:
    """Return every canonical area name."""
    return area_gazetteer().canonical_names


def _drop_city(matches: list[GazetteerMatch]) -> list[GazetteerMatch]:
    """Drop "Milano" when a more specific place is named in the same message."""
    if any(match.canonical != CITY for match in matches):
        return [match for match in matches if match.canonical != CITY]
    return matches


def find_areas(text: str, lang: str, *, anywhere: bool = False) -> list[Candidate]:
    """Return the area candidates in a message."""
    matches = area_gazetteer().find(folded_doc(text, lang), text, anywhere=anywhere)
    matches = _outside_not_area_phrases(text, matches)
    return [
        Candidate(FactKey.AREA, match.canonical, match.start, match.end)
        for match in _drop_city(matches)
    ]


def match_area(text: str, lang: str | None = None) -> str | None:
    """Return the canonical area named in an answer to "which area?", or None.

    Ambiguous names and typos are accepted without a cue here, because the user was
    asked for an area; an exact match wins over a typo, a specific place over Milano.
    """
    if not text or not text.strip():
        return None
    matches = area_gazetteer().find(folded_doc(text, lang or "it"), text, anywhere=True)
    matches = _drop_city(_outside_not_area_phrases(text, matches))
    if not matches:
        return None
    ranked = sorted(matches, key=lambda match: (match.fuzzy, match.ambiguous, match.start))
    return ranked[0].canonical
