"""Timeframe of a move, as whole months from the message time when computable.

- "subito", "asap", "immediately", "questo mese" -> 0; "il mese prossimo" -> 1;
- "entro 3 mesi", "tra sei mesi", "in a couple of months", "within a year" -> 3, 6, 2, 12
  (weeks and days become months, rounded; a range gives its upper bound);
- "a settembre", "entro marzo", "in September" -> calendar months until that month
  (the next one; this month gives 0);
- "entro l'estate", "by the summer" -> months until June (summer starts 21 June; during
  summer 0, after it next year's); likewise spring (March), autumn (September) and
  winter (December);
- "entro fine anno", "by the end of the year", "entro Natale" -> months until December;
- "il prossimo anno", "next year" -> months until January of next year; "nel 2027"
  likewise for that year.

Months are calendar months: on 2 March, June is 3 months away. Vague answers ("non
ho fretta", "a few months", "nei prossimi mesi") stay as normalised text.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime

from facts.dates import MONTHS, local_now
from facts.models import FactKey
from facts.numbers import NUM, to_number
from facts.text import Candidate, fold

SEASONS = {
    "primavera": (3, 21, 6, 21),
    "spring": (3, 21, 6, 21),
    "estate": (6, 21, 9, 23),
    "summer": (6, 21, 9, 23),
    "autunno": (9, 23, 12, 21),
    "autumn": (9, 23, 12, 21),
    "fall": (9, 23, 12, 21),
    "inverno": (12, 21, 3, 21),
    "winter": (12, 21, 3, 21),
}
UNIT_MONTHS = {
    "mes": 1.0,
    "mont": 1.0,
    "settiman": 7 / 30.44,
    "week": 7 / 30.44,
    "ann": 12.0,
    "year": 12.0,
    "giorn": 1 / 30.44,
    "day": 1 / 30.44,
}
PREPOSITION = (
    r"(?:entro|tra|fra|in|nei|nelle|negli|within|max|massimo|al massimo|non oltre|prima di|"
    r"over the next|in the next|the next|next|prossimi|prossime|after|dopo)"
)
COUNT = (
    rf"(?:(?P<low>{NUM})\s*(?:-|–|/|\be\b|\bo\b|\bor\b|\bto\b|\band\b|\ba\b)\s*)?"
    rf"(?:(?P<num>{NUM})|(?P<couple>(?:un\s+)?paio\s+di|(?:a\s+)?couple(?:\s+of)?)"
    r"|(?P<half>mezzo|half\s+an?|half))"
)
UNIT = r"(?P<unit>mes[ei]|months?|settimane?|settimana|weeks?|ann[oi]|years?|giorni|giorno|days?)"
AND_HALF = r"(?P<and_half>\s+(?:e\s+mezzo|and\s+a\s+half))?"
DURATION_RE = re.compile(
    rf"\b{PREPOSITION}\s+(?:i\s+|the\s+)?{COUNT}\s*{UNIT}\b{AND_HALF}(?!\s+(?:fa|ago)\b)"
)
BARE_DURATION_RE = re.compile(rf"(?:^|\b){COUNT}\s*{UNIT}\b{AND_HALF}(?!\s+(?:fa|ago)\b)")
SINGLE_UNIT_RE = re.compile(
    r"\b(?:entro|tra|fra|in|within)\s+(?:un|una|a|an|one)\s+(?P<unit>mese|month|anno|year|settimana|week)\b"
    r"(?P<and_half>\s+(?:e\s+mezzo|and\s+a\s+half))?"
)
IMMEDIATE_RE = re.compile(
    r"\b(?:subito|da subito|immediatamente|(?:il\s+)?prima\s+possibile|al\s+piu\s+presto|"
    r"quanto\s+prima|appena\s+possibile|asap|a\.s\.a\.p|as\s+soon\s+as\s+possible|immediately|"
    r"right\s+away|straight\s+away|urgente(?:mente)?|urgently|questo\s+mese|this\s+month|"
    r"questa\s+settimana|this\s+week|(?:la\s+)?settimana\s+prossima|(?:la\s+)?prossima\s+settimana|"
    r"next\s+week)\b"
)
NEXT_MONTH_RE = re.compile(r"\b(?:il\s+)?(?:mese\s+prossimo|prossimo\s+mese)\b|\bnext\s+month\b")
MONTH_PREP = (
    r"(?:a|ad|entro|per|da|dal|in|by|for|from|before|prima\s+di|verso|nel\s+mese\s+di|around|"
    r"until|till|dopo|after|fino\s+a|inizio|fine|meta|end\s+of|early|late|mid|beginning\s+of)"
)
MONTH_NAMES = "|".join(sorted(MONTHS, key=len, reverse=True))
MONTH_RE = re.compile(
    rf"\b{MONTH_PREP}\s+(?:(?:fine|inizio|meta)\s+)?(?P<month>{MONTH_NAMES})\b(?:\s+(?P<year>20\d\d))?"
)
BARE_MONTH_RE = re.compile(rf"^\W*(?P<month>{MONTH_NAMES})(?:\s+(?P<year>20\d\d))?\W*$")
SEASON_NAMES = "|".join(SEASONS)
SEASON_RE = re.compile(
    r"(?<![a-z])(?:(?P<prep>entro|per|in|a|by|for|before|during|durante|prima\s+del(?:la|l')?|"
    r"verso|until|till|around|dopo|after|nel(?:la|l')?|d')(?![a-z])\s*)?"
    r"(?P<det>l'|la\s+|il\s+|the\s+|quest'|questa\s+|questo\s+|this\s+|next\s+|prossima\s+|"
    rf"prossimo\s+)?(?P<season>{SEASON_NAMES})\b(?P<next>\s+prossim[ao]|\s+next\s+year)?"
    r"(?!\s+(?:agent|agents|agency|agencies|market|sale|sales))"
)
BARE_SEASON_RE = re.compile(
    r"^\W*(?P<prep>)(?P<det>)(?P<season>primavera|estate|autunno|inverno|spring|summer|autumn|winter)(?P<next>\s+prossim[ao])?\W*$"
)
YEAR_END_RE = re.compile(
    r"\b(?:(?:entro|per|by|before|prima\s+della|verso)\s+)?(?:la\s+)?fine\s+(?:dell'|d'|del\s+)?anno\b"
    r"|\b(?:by\s+|before\s+|at\s+)?(?:the\s+)?end\s+of\s+(?:the\s+|this\s+)?year\b|\byear[\s-]end\b"
    r"|\b(?:entro|per|before|by)\s+(?:natale|christmas|dicembre|december)\b"
    r"|\b(?:entro\s+)?quest'anno\b|\bthis\s+year\b"
)
NEXT_YEAR_RE = re.compile(
    r"\b(?:il\s+|l')?(?:prossimo\s+anno|anno\s+prossimo)\b|\bnext\s+year\b"
    r"|\b(?:nel|in|entro\s+il|by)\s+(?P<year>20\d\d)\b"
)
VAGUE_RE = re.compile(
    r"\b(?:non\s+(?:ho|abbiamo)\s+(?:alcuna\s+|nessuna\s+)?fretta|nessuna\s+fretta|senza\s+fretta|"
    r"con\s+calma|no\s+rush|no\s+hurry|not\s+in\s+a\s+(?:rush|hurry)|nei\s+prossimi\s+mesi|"
    r"in\s+the\s+coming\s+months|(?:tra|fra|entro|in)\s+qualche\s+mese|qualche\s+mese|"
    r"(?:in|within)\s+a\s+few\s+months|a\s+few\s+months|prossimamente|in\s+futuro|"
    r"in\s+the\s+future|medio\s+termine|lungo\s+termine|long\s+term|medium\s+term|"
    r"appena\s+trovo|when\s+i\s+find)\b"
)


def months_between(today: date, year: int, month: int) -> int:
    """Return calendar months from today's month to (year, month)."""
    return (year - today.year) * 12 + month - today.month


def _month_ahead(today: date, month: int, year: int | None) -> int | None:
    """Months until the next `month` (this month included), or a given year's."""
    if year is not None:
        months = months_between(today, year, month)
        return months if months >= 0 else None
    return (month - today.month) % 12


def _season_ahead(today: date, season: str, is_next: bool) -> int:
    """Months until a season starts; 0 during it (unless "next"); else the next one."""
    start_month, start_day, end_month, end_day = SEASONS[season]
    for start_year in (today.year - 1, today.year):
        start = date(start_year, start_month, start_day)
        end = date(start_year + (1 if end_month < start_month else 0), end_month, end_day)
        if start <= today < end:
            return months_between(today, start_year + 1, start_month) if is_next else 0
    target_year = today.year if today < date(today.year, start_month, start_day) else today.year + 1
    return months_between(today, target_year, start_month)


def _duration(match: re.Match[str]) -> int | None:
    """Months of "entro 3 mesi", "tra sei mesi", "in a couple of months"."""
    if match.groupdict().get("couple"):
        count: float | None = 2
    elif match.groupdict().get("half"):
        count = 0.5
    elif "num" in match.groupdict():
        count = to_number(match.group("num"))
    else:
        count = 1
    if count is None or count < 0:
        return None
    if match.group("and_half"):
        count += 0.5
    unit = match.group("unit")
    factor = next(value for prefix, value in UNIT_MONTHS.items() if unit.startswith(prefix))
    months = round(count * factor)
    return months if months <= 120 else None


Resolver = Callable[[re.Match[str], date], int | str | None]


def _rules(bare: bool) -> list[tuple[re.Pattern[str], Resolver]]:
    """Patterns with their resolvers, most specific first."""
    rules: list[tuple[re.Pattern[str], Resolver]] = [
        (VAGUE_RE, lambda match, today: " ".join(match.group().split())),
        (YEAR_END_RE, lambda match, today: 12 - today.month),
        (NEXT_YEAR_RE, _next_year),
        (SEASON_RE, _season),
        (MONTH_RE, _month),
        (DURATION_RE, lambda match, today: _duration(match)),
        (SINGLE_UNIT_RE, lambda match, today: _duration(match)),
        (NEXT_MONTH_RE, lambda match, today: 1),
        (IMMEDIATE_RE, lambda match, today: 0),
    ]
    if bare:
        rules += [
            (BARE_MONTH_RE, _month),
            (BARE_SEASON_RE, _season),
            (BARE_DURATION_RE, lambda match, today: _duration(match)),
        ]
    return rules


def _next_year(match: re.Match[str], today: date) -> int | None:
    year = match.groupdict().get("year")
    if not year:
        return months_between(today, today.year + 1, 1)
    if int(year) == today.year:
        return 12 - today.month
    months = months_between(today, int(year), 1)
    return months if months >= 0 else None


def _season(match: re.Match[str], today: date) -> int | None:
    """Resolve a season; a bare season word counts only as a whole answer."""
    det = (match.group("det") or "").strip()
    season = match.group("season")
    if not match.group("prep") and not det and match.group().strip() == season:
        if not BARE_SEASON_RE.fullmatch(match.string):
            return None
    if season == "estate" and (det in ("the", "this", "next") or match.group("prep") in _EN_PREPS):
        return None  # English "estate" is a property, not the summer
    is_next = bool(match.group("next")) or det in ("next", "prossima", "prossimo")
    return _season_ahead(today, season, is_next)


_EN_PREPS = frozenset({"by", "for", "before", "during", "until", "till", "around", "after"})


def _month(match: re.Match[str], today: date) -> int | None:
    year = match.group("year")
    return _month_ahead(today, MONTHS[match.group("month")], int(year) if year else None)


def timeframe_candidates(
    text: str, *, now: datetime | None = None, bare: bool = False
) -> list[Candidate]:
    """Return the `timeframe` candidates of a message, without overlaps."""
    folded = fold(text)
    today = local_now(now).date()
    found: list[Candidate] = []
    for pattern, resolve in _rules(bare):
        for match in pattern.finditer(folded):
            if any(match.start() < other.end and other.start < match.end() for other in found):
                continue
            value = resolve(match, today)
            if value is not None:
                found.append(Candidate(FactKey.TIMEFRAME, value, match.start(), match.end()))
    return sorted(found, key=lambda candidate: candidate.start)


def parse_timeframe(
    text: str, lang: str | None = None, *, now: datetime | None = None
) -> int | str | None:
    """Return the timeframe from an answer to "when?": months, vague text, or None.

    Bare answers are accepted here ("settembre", "3 mesi", "estate").
    """
    del lang
    if not text or not text.strip():
        return None
    found = timeframe_candidates(text, now=now, bare=True)
    if not found:
        return None
    value = found[0].value
    return value if isinstance(value, int | str) else round(value)
