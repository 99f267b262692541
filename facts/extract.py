"""`extract_facts`: every fact of one message, without dialogue context."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from facts.areas import find_areas
from facts.codice_fiscale import codice_fiscale_candidates
from facts.contact import email_candidates, phone_candidates
from facts.dates import date_candidates
from facts.documents import CODICE_FISCALE_DOCUMENT, document_candidates
from facts.language import detect_language
from facts.lead_type import lead_type_candidates
from facts.models import Fact, FactKey
from facts.money import money_candidates
from facts.names import find_person_name
from facts.nlp import norm_lang
from facts.rooms import rooms_candidates
from facts.surface import surface_candidates
from facts.text import Candidate
from facts.timeframe import timeframe_candidates

Extractor = Callable[[str, str, datetime | None], list[Candidate]]

# Priority order: a span taken by an earlier extractor is not read again by a later one
# (a phone number is not a budget, a date is not a range of rooms).
EXTRACTORS: tuple[Extractor, ...] = (
    lambda text, lang, now: codice_fiscale_candidates(text),
    lambda text, lang, now: email_candidates(text),
    lambda text, lang, now: phone_candidates(text),
    lambda text, lang, now: date_candidates(text, now=now),
    lambda text, lang, now: timeframe_candidates(text, now=now),
    lambda text, lang, now: surface_candidates(text),
    lambda text, lang, now: rooms_candidates(text, lang),
    lambda text, lang, now: money_candidates(text),
    lambda text, lang, now: find_areas(text, lang),
    lambda text, lang, now: document_candidates(text, lang),
    lambda text, lang, now: lead_type_candidates(text, lang),
    lambda text, lang, now: _name_candidates(text, lang),
)


def _name_candidates(text: str, lang: str) -> list[Candidate]:
    found = find_person_name(text, lang)
    return [found] if found else []


def _without_redundant(candidates: list[Candidate]) -> list[Candidate]:
    """Drop the "codice fiscale" document when the code itself was given."""
    if any(candidate.key is FactKey.CODICE_FISCALE for candidate in candidates):
        return [
            candidate
            for candidate in candidates
            if not (
                candidate.key is FactKey.DOCUMENT and candidate.value == CODICE_FISCALE_DOCUMENT
            )
        ]
    return candidates


def extract_facts(text: str, lang: str | None = None, *, now: datetime | None = None) -> list[Fact]:
    """Return every fact found in one message, in text order.

    Args:
        text: the message.
        lang: "it" or "en"; detected from the text when None.
        now: the message time for relative dates and timeframes (default: now,
            Europe/Rome).
    """
    if not text or not text.strip():
        return []
    language = norm_lang(lang) if lang else detect_language(text)
    accepted: list[Candidate] = []
    for extractor in EXTRACTORS:
        for candidate in extractor(text, language, now):
            if candidate.start < candidate.end and not any(
                candidate.overlaps(other) for other in accepted
            ):
                accepted.append(candidate)
    accepted = _without_redundant(sorted(accepted, key=lambda candidate: candidate.start))
    return [
        Fact(
            key=candidate.key,
            value=candidate.value,
            raw=text[candidate.start : candidate.end],
            start=candidate.start,
            end=candidate.end,
        )
        for candidate in accepted
    ]
