"""Money: budgets (`budget_max`) and other amounts (`amount`).

An expression is money when it has a currency ("€", "euro"), a multiplier ("k",
"mila", "milioni", "1.5M"), a monthly period ("al mese", "per month"), thousands
separators on a number of at least 10,000 ("320.000") or a budget cue
("budget 300000", "max 1200"). A bare number alone ("3", "2024", "300000") never is.
It is a budget unless a nearer word says it is something else: a deposit, a fee,
condo costs, a salary, a mortgage or its instalment, taxes ("caparra", "spese",
"provvigione", "mutuo", "deposit", "fee"...). Those become `amount`.
Ranges ("tra 250 e 300 mila", "250-300k") give the upper bound.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from facts.models import FactKey
from facts.numbers import NUM, as_int_or_float, to_number
from facts.text import Candidate, clause_bounds, fold

CURRENCY = r"(?:€|euro|eur|euri|euros)(?![a-z])"
MULTIPLIER = (
    r"(?:k(?![a-z])|mila(?![a-z])|milioni(?![a-z])|milione(?![a-z])|millions?(?![a-z])"
    r"|mln(?![a-z])|mil(?![a-z])|(?<=\d)m(?![a-z0-9²])|(?<=\d)mn(?![a-z])"
    r"|thousand(?![a-z]))"
)
PERIOD = (
    r"(?:\s*/\s*(?:mese|month|mo|m)(?![a-z])|\s+(?:al|a|il|each|per|every)\s+(?:mese|month)"
    r"|\s+(?:mensili|mensile|monthly|pcm|p/m)(?![a-z]))"
)
_MULTIPLIER_VALUES = {
    "k": 1e3,
    "mila": 1e3,
    "thousand": 1e3,
    "mil": 1e6,
    "mln": 1e6,
    "m": 1e6,
    "mn": 1e6,
    "milione": 1e6,
    "milioni": 1e6,
    "million": 1e6,
    "millions": 1e6,
}


def _amount_pattern(tag: str) -> str:
    """One money expression; groups are suffixed with `tag` so two can share a regex."""
    return (
        rf"(?:(?P<cur_a{tag}>{CURRENCY})\s*)?(?P<num{tag}>{NUM})"
        rf"(?:\s*(?P<mult{tag}>{MULTIPLIER})(?P<half{tag}>\s+e\s+mezzo)?)?"
        rf"(?:\s*(?P<cur_b{tag}>{CURRENCY}))?(?P<per{tag}>{PERIOD})?"
    )


SINGLE_RE = re.compile(_amount_pattern(""))
RANGE_RE = re.compile(
    r"(?:\b(?:tra|fra|between|da|dai|from)\s+)?"
    + _amount_pattern("1")
    + r"\s*(?:-|–|\be\b|\band\b|\ba\b|\bai\b|\bto\b)\s*"
    + _amount_pattern("2")
)
BUDGET_CUES = frozenset(
    {
        "budget",
        "massimo",
        "max",
        "fino",
        "spendere",
        "spesa",
        "disponibilita",
        "prezzo",
        "sotto",
        "oltre",
        "tetto",
        "spendibili",
        "investire",
        "up",
        "under",
        "below",
        "maximum",
        "spend",
        "price",
        "afford",
        "limit",
        "cap",
        "budjet",
        "budgets",
    }
)
OTHER_CUES = frozenset(
    {
        "caparra",
        "cauzione",
        "deposito",
        "acconto",
        "anticipo",
        "provvigione",
        "provvigioni",
        "commissione",
        "commissioni",
        "spese",
        "condominio",
        "condominiali",
        "condominiale",
        "tasse",
        "imu",
        "tari",
        "notaio",
        "notarili",
        "notarile",
        "stipendio",
        "reddito",
        "guadagno",
        "mutuo",
        "rata",
        "rate",
        "fee",
        "fees",
        "deposit",
        "commission",
        "salary",
        "income",
        "earn",
        "mortgage",
        "tax",
        "taxes",
        "notary",
        "utilities",
        "bollette",
        "agenzia",
        "agency",
        "interessi",
        "interest",
        "multa",
        "penale",
        "registrazione",
        "costs",
        "charges",
        "stamp",
        "imposta",
        "imposte",
    }
)
# "320.000" / "1,250,000": thousands separators on a large number are written money.
GROUPED_RE = re.compile(r"\d{1,3}(?:([.,])\d{3})(?:\1\d{3})*")
GROUPED_MONEY_MIN = 10_000
GROUPED_FOLLOWERS = frozenset(
    {
        "di",
        "e",
        "ed",
        "ma",
        "per",
        "o",
        "and",
        "but",
        "or",
        "for",
        "con",
        "with",
        "circa",
        "trattabili",
        "negoziabili",
        "tondi",
        "max",
        "massimo",
        "budget",
        "come",
        "as",
    }
)
MAX_BUDGET = 100_000_000
MIN_BUDGET = 100


@dataclass(frozen=True, slots=True)
class Money:
    """A money expression with how sure we are it is money at all."""

    value: float
    start: int
    end: int
    explicit: bool  # currency, multiplier or period written
    monthly: bool


def _value(match: re.Match[str], tag: str) -> float | None:
    """Compute the value of one amount group of a match."""
    number = to_number(match.group(f"num{tag}"))
    if number is None:
        return None
    multiplier = match.group(f"mult{tag}")
    if multiplier:
        factor = _MULTIPLIER_VALUES[multiplier.strip()]
        number = number * factor + (factor / 2 if match.group(f"half{tag}") else 0)
    return number


def _is_explicit(match: re.Match[str], tag: str, value: float) -> bool:
    """Tell whether the amount carries a currency, a multiplier or a monthly period.

    A period alone counts only from 100 up ("3 al mese" is a frequency, not rent).
    """
    if any(match.group(f"{name}{tag}") for name in ("cur_a", "cur_b", "mult")):
        return True
    if value >= GROUPED_MONEY_MIN and GROUPED_RE.fullmatch(match.group(f"num{tag}")):
        following = re.match(r"\s*([a-z]+)", match.string[match.end() :])
        return following is None or following.group(1) in GROUPED_FOLLOWERS
    return bool(match.group(f"per{tag}")) and value >= MIN_BUDGET


def _ranges(folded: str) -> list[Money]:
    """Find ranges; the upper bound is the value and the multiplier is shared."""
    found = []
    for match in RANGE_RE.finditer(folded):
        high = _value(match, "2")
        low = _value(match, "1")
        if high is None or low is None or not _is_explicit(match, "2", high) or low > high:
            continue
        found.append(Money(high, match.start(), match.end(), True, bool(match.group("per2"))))
    return found


def _singles(folded: str) -> list[Money]:
    """Find single amounts."""
    found = []
    for match in SINGLE_RE.finditer(folded):
        value = _value(match, "")
        if value is None:
            continue
        explicit = _is_explicit(match, "", value)
        found.append(Money(value, match.start(), match.end(), explicit, bool(match.group("per"))))
    return found


def find_money(text: str) -> list[Money]:
    """Find money-like numbers (explicit or not), ranges first, without overlaps."""
    folded = fold(text)
    chosen: list[Money] = []
    for money in _ranges(folded) + _singles(folded):
        if all(money.end <= other.start or money.start >= other.end for other in chosen):
            chosen.append(money)
    return sorted(chosen, key=lambda money: money.start)


def _cue_kind(folded: str, money: Money) -> str | None:
    """Return "budget", "other" or None from the words around an amount."""
    left, right = clause_bounds(folded, money.start, money.end)
    after = re.findall(r"[a-z]+", folded[money.end : right])[:3]
    if any(word in OTHER_CUES for word in after):
        return "other"
    before = re.findall(r"[a-z]+", folded[left : money.start])[-6:]
    for word in reversed(before):
        if word in OTHER_CUES:
            return "other"
        if word in BUDGET_CUES:
            return "budget"
    return None


def _is_negative(folded: str, start: int) -> bool:
    """Tell whether a minus sign (not a range dash) precedes the number."""
    return bool(
        re.search(r"(?:^|[^\w\s])\s*-\s*$|(?:^|\s)-\s*$", folded[max(0, start - 3) : start])
    )


def money_candidates(text: str) -> list[Candidate]:
    """Return `budget_max` and `amount` candidates of a free message."""
    folded = fold(text)
    candidates = []
    for money in find_money(text):
        cue = _cue_kind(folded, money)
        if _is_negative(folded, money.start) or money.value <= 0:
            continue
        if not money.explicit and cue != "budget":
            continue
        amount = money.value if money.explicit else _scale_bare(money.value, None)
        if amount is None:
            continue
        value: int | float = as_int_or_float(round(amount, 2))
        key = FactKey.AMOUNT
        if cue != "other" and MIN_BUDGET <= amount <= MAX_BUDGET:
            key = FactKey.BUDGET_MAX
            value = int(round(amount))
        candidates.append(Candidate(key, value, money.start, money.end))
    return candidates


def _scale_bare(value: float, lead_type: str | None) -> float | None:
    """Read a bare number given as a budget answer, by lead type.

    buy/sell: under 20 is refused, under 10,000 means thousands ("300" -> 300,000).
    rent: monthly euros, 100-50,000. Unknown: under 500 means thousands (no Milan
    rent is that low), otherwise euros as written.
    """
    if lead_type in ("buy", "sell"):
        if value < 20:
            return None
        return value * 1000 if value < 10_000 else value
    if lead_type == "rent":
        return value if 100 <= value <= 50_000 else None
    if value < 20:
        return None
    return value * 1000 if value < 500 else value


def parse_budget(text: str, lang: str | None = None, *, lead_type: str | None = None) -> int | None:
    """Return the maximum budget in euros from an answer to "what is your budget?".

    Written amounts ("300k", "1.200 €", "tra 250 e 300 mila") are taken as written;
    a bare number is read by lead type (see `_scale_bare`). A range gives its upper
    bound, several amounts the largest. Nonsense, zero and negatives give None.
    """
    del lang  # numbers are read the same way in Italian and English
    if not text or not text.strip():
        return None
    folded = fold(text)
    values = []
    for money in find_money(text):
        if _is_negative(folded, money.start) or money.value <= 0:
            return None
        value = money.value if money.explicit else _scale_bare(money.value, lead_type)
        if value is not None and money.explicit and lead_type in ("buy", "sell"):
            value = value if value >= 10_000 else None
        if value is not None and MIN_BUDGET <= value <= MAX_BUDGET:
            values.append(value)
    return int(round(max(values))) if values else None
