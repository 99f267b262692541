"""Fact extraction and normalisation for Italian and English real-estate messages.

Pure functions, no I/O: spaCy blank pipelines (built once, lazily) with rule-based
matchers, gazetteers and regular expressions. Used by the lead form (actions), the
handoff summary and `wabot eval nlu`.
"""

from facts.areas import match_area
from facts.codice_fiscale import is_valid_codice_fiscale
from facts.contact import parse_email, parse_phone
from facts.extract import extract_facts
from facts.language import detect_language
from facts.models import Fact, FactKey
from facts.money import parse_budget
from facts.names import parse_person_name
from facts.rooms import parse_rooms
from facts.surface import parse_surface
from facts.timeframe import parse_timeframe

# The lead slots of the form, in the order a summary shows them (lead_type is not an entity).
LEAD_SLOTS: tuple[str, ...] = (
    "lead_type",
    "area",
    "budget_max",
    "surface_min",
    "rooms",
    "timeframe",
    "contact_name",
    "contact_phone",
    "contact_email",
)
ENTITY_SLOTS: frozenset[str] = frozenset(LEAD_SLOTS) - {"lead_type"}

__all__ = [
    "ENTITY_SLOTS",
    "LEAD_SLOTS",
    "Fact",
    "FactKey",
    "detect_language",
    "extract_facts",
    "is_valid_codice_fiscale",
    "match_area",
    "parse_budget",
    "parse_email",
    "parse_person_name",
    "parse_phone",
    "parse_rooms",
    "parse_surface",
    "parse_timeframe",
]
