"""Calendar dates resolved against the message time, as ISO date strings.

Recognised: "15 marzo", "15/03/2026", "March 15th", "lunedì prossimo", "domani",
"next Friday".

A day and month without a year is the next such day (today included). A weekday is
the next one after today, with or without "prossimo"/"next".
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from facts.models import FactKey
from facts.text import Candidate, fold

ROME = ZoneInfo("Europe/Rome")
MONTHS = {
    "gennaio": 1,
    "febbraio": 2,
    "marzo": 3,
    "aprile": 4,
    "maggio": 5,
    "giugno": 6,
    "luglio": 7,
    "agosto": 8,
    "settembre": 9,
    "ottobre": 10,
    "novembre": 11,
    "dicembre": 12,
    "january": 1,
    "february": 2,
    "march": 3,
    "april": 4,
    "may": 5,
    "june": 6,
    "july": 7,
    "august": 8,
    "september": 9,
    "october": 10,
    "november": 11,
    "december": 12,
}
MONTH_ABBREVIATIONS = {
    "gen": 1,
    "feb": 2,
    "mar": 3,
    "apr": 4,
    "mag": 5,
    "giu": 6,
    "lug": 7,
    "ago": 8,
    "set": 9,
    "sett": 9,
    "ott": 10,
    "nov": 11,
    "dic": 12,
    "jan": 1,
    "jun": 6,
    "jul": 7,
    "aug": 8,
    "sep": 9,
    "sept": 9,
    "oct": 10,
    "dec": 12,
}
WEEKDAYS = {
    "lunedi": 0,
    "martedi": 1,
    "mercoledi": 2,
    "giovedi": 3,
    "venerdi": 4,
    "sabato": 5,
    "domenica": 6,
    "monday": 0,
    "tuesday": 1,
    "wednesday": 2,
    "thursday": 3,
    "friday": 4,
    "saturday": 5,
    "sunday": 6,
}
RELATIVE_DAYS = {
    "oggi": 0,
    "today": 0,
    "domani": 1,
    "tomorrow": 1,
    "dopodomani": 2,
    "day after tomorrow": 2,
    "the day after tomorrow": 2,
}


def _alternation(words: dict[str, int]) -> str:
    return "|".join(sorted(words, key=len, reverse=True))


MONTH_WORD = rf"(?:{_alternation(MONTHS)}|(?:{_alternation(MONTH_ABBREVIATIONS)})\.?)"
DAY = r"(?P<day>[0-3]?\d|primo)(?:st|nd|rd|th|°|o)?"
YEAR = r"(?P<year>(?:19|20)\d\d)"
DAY_MONTH_RE = re.compile(
    rf"\b{DAY}\s+(?:di\s+|of\s+)?(?P<month>{MONTH_WORD})(?![a-z])(?:,?\s+{YEAR}\b)?"
)
MONTH_DAY_RE = re.compile(
    rf"\b(?P<month>{MONTH_WORD})\s+(?P<day>[0-3]?\d)(?:st|nd|rd|th)?\b(?:,?\s+{YEAR}\b)?"
)
NUMERIC_RE = re.compile(
    r"(?<![\d.,/])(?P<a>[0-3]?\d)(?P<sep>[/.-])(?P<b>[01]?\d)"
    r"(?:(?P=sep)(?P<year>(?:19|20)?\d\d))?(?![\d/]|[.,]\d)"
)
WEEKDAY_RE = re.compile(
    rf"\b(?:(?P<pre>prossimo|prossima|next|this|questo|questa|on)\s+)?"
    rf"(?P<weekday>{_alternation(WEEKDAYS)})(?![a-z])(?:\s+(?P<post>prossimo|prossima))?"
)
RELATIVE_RE = re.compile(rf"\b(?P<relative>{_alternation(RELATIVE_DAYS)})\b")
UNIT_AFTER = re.compile(r"\s*(?:locali|vani|stanze|camere|rooms|bedrooms|bed|mq|m2|persone)\b")


def local_now(now: datetime | None) -> datetime:
    """Return `now` in Europe/Rome (naive times are taken as Rome time)."""
    if now is None:
        return datetime.now(ROME)
    if now.tzinfo is None:
        return now.replace(tzinfo=ROME)
    return now.astimezone(ROME)


def month_number(word: str) -> int | None:
    """Return 1-12 for an Italian or English month name or abbreviation."""
    word = word.rstrip(".")
    return MONTHS.get(word) or MONTH_ABBREVIATIONS.get(word)


def _next_day_month(today: date, day: int, month: int, year: int | None) -> date | None:
    """Build the date; without a year, the next such day from today."""
    try:
        if year is not None:
            return date(year, month, day)
        candidate = date(today.year, month, day)
        return candidate if candidate >= today else date(today.year + 1, month, day)
    except ValueError:
        return None


def _full_year(text: str | None) -> int | None:
    """Turn "26" or "2026" into 2026."""
    if not text:
        return None
    year = int(text)
    return year + 2000 if year < 100 else year


def _named_month_dates(folded: str, today: date) -> list[Candidate]:
    """Find "15 marzo", "1° maggio 2026", "March 15th"."""
    found = []
    for pattern in (DAY_MONTH_RE, MONTH_DAY_RE):
        for match in pattern.finditer(folded):
            day_text = match.group("day")
            day = 1 if day_text == "primo" else int(day_text)
            month = month_number(match.group("month"))
            resolved = month and _next_day_month(today, day, month, _full_year(match["year"]))
            if resolved:
                found.append(Candidate(FactKey.DATE, resolved.isoformat(), *match.span()))
    return found


def _numeric_dates(folded: str, today: date) -> list[Candidate]:
    """Find "15/03/2026", "15.03.26", "15/03" (day first unless impossible)."""
    found = []
    for match in NUMERIC_RE.finditer(folded):
        year = _full_year(match.group("year"))
        if year is None and (match.group("sep") != "/" or UNIT_AFTER.match(folded, match.end())):
            continue
        first, second = int(match.group("a")), int(match.group("b"))
        day, month = (second, first) if second > 12 >= first else (first, second)
        resolved = _next_day_month(today, day, month, year)
        if resolved:
            found.append(Candidate(FactKey.DATE, resolved.isoformat(), *match.span()))
    return found


def _relative_dates(folded: str, today: date) -> list[Candidate]:
    """Find "domani", "lunedì prossimo", "next Friday"."""
    found = []
    for match in RELATIVE_RE.finditer(folded):
        resolved = today + timedelta(days=RELATIVE_DAYS[match.group("relative")])
        found.append(Candidate(FactKey.DATE, resolved.isoformat(), *match.span()))
    for match in WEEKDAY_RE.finditer(folded):
        if _is_habitual(folded, match):
            continue
        ahead = (WEEKDAYS[match.group("weekday")] - today.weekday() - 1) % 7 + 1
        resolved = today + timedelta(days=ahead)
        found.append(Candidate(FactKey.DATE, resolved.isoformat(), *match.span()))
    return found


HABITUAL_BEFORE = re.compile(r"(?:\b(?:il|la|di|ogni|every|nel|tutti\s+i|tutte\s+le))\s+$")


def _is_habitual(folded: str, match: re.Match[str]) -> bool:
    """Tell whether a weekday means every week ("il sabato", "every Monday")."""
    if match.group("pre") or match.group("post"):
        return False
    return bool(HABITUAL_BEFORE.search(folded[max(0, match.start() - 12) : match.start()]))


def date_candidates(text: str, *, now: datetime | None = None) -> list[Candidate]:
    """Return the `date` candidates of a message, longest first on overlaps."""
    folded = fold(text)
    today = local_now(now).date()
    found = (
        _named_month_dates(folded, today)
        + _numeric_dates(folded, today)
        + _relative_dates(folded, today)
    )
    return sorted(found, key=lambda candidate: (candidate.start, -candidate.end))
