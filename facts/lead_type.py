"""Lead type from verbs: buy, rent or sell.

buy: "comprare", "acquisto", "buy"; rent: "affittare", "in affitto", "rent", "lease";
sell: "vendere", "mettere in vendita", "sell".

Lemmas come from spaCy's lookup lemmatizer ("compro", "comprerei" -> "comprare").
A verb negated just before ("non voglio comprare", "don't want to buy") is ignored.
"casa in vendita" is not a sell lead (the customer saw a listing): only "vendere"
and "mettere in vendita" are. One typo is forgiven in an unknown word ("conprare").
"""

from __future__ import annotations

from rapidfuzz import process
from rapidfuzz.distance import Levenshtein
from spacy.tokens import Token

from facts.models import FactKey
from facts.nlp import folded_doc, is_common_word
from facts.text import Candidate

LEAD_WORDS = {
    "buy": frozenset(
        {
            "comprare",
            "acquistare",
            "acquisto",
            "acquisti",
            "compravendita",
            "buy",
            "buying",
            "purchase",
            "purchasing",
            "buyer",
            "compra",
            "comprando",
            "acquistando",
        }
    ),
    "rent": frozenset(
        {
            "affittare",
            "affitto",
            "affitti",
            "affittasi",
            "affittando",
            "affittire",
            "locazione",
            "rent",
            "renting",
            "rental",
            "rented",
            "lease",
            "leasing",
            "tenant",
            "inquilino",
            "prendere in affitto",
        }
    ),
    "sell": frozenset({"vendere", "vendendo", "sell", "selling", "seller", "venditore"}),
}
NEGATIONS = frozenset({"non", "not", "don't", "dont", "nessun", "never", "mai", "no", "n't"})
PUT_ON_MARKET = {"vendita": "sell", "affitto": "rent", "locazione": "rent"}


# Misspellings one edit away from these are read as them ("conprare", "aquistare").
TYPO_TARGETS = {
    "comprare": "buy",
    "acquistare": "buy",
    "acquisto": "buy",
    "affittare": "rent",
    "affitto": "rent",
    "vendere": "sell",
    "purchase": "buy",
    "renting": "rent",
    "selling": "sell",
    "buying": "buy",
}
_TYPO_WORDS = list(TYPO_TARGETS)
MIN_TYPO_LENGTH = 6


def _lead_of(token: Token) -> str | None:
    """Return the lead type a token expresses, if any (one typo allowed)."""
    for lead_type, words in LEAD_WORDS.items():
        if token.lemma_ in words or token.lower_ in words:
            return lead_type
    if len(token) < MIN_TYPO_LENGTH or not token.is_alpha or is_common_word(token.lower_):
        return None
    best = process.extractOne(
        token.lower_, _TYPO_WORDS, scorer=Levenshtein.distance, score_cutoff=1
    )
    return TYPO_TARGETS[best[0]] if best else None


def lead_type_candidates(text: str, lang: str) -> list[Candidate]:
    """Return the `lead_type` candidates of a message (one per verb)."""
    doc = folded_doc(text, lang)
    found = []
    for token in doc:
        lead_type = _lead_of(token)
        if token.lower_ in PUT_ON_MARKET and token.i >= 2:
            before = doc[max(0, token.i - 3) : token.i]
            if any(t.lemma_ == "mettere" or t.lower_.startswith("mett") for t in before):
                lead_type = PUT_ON_MARKET[token.lower_]
        if lead_type is None:
            continue
        window = doc[max(0, token.i - 3) : token.i]
        if any(t.lower_ in NEGATIONS for t in window):
            continue
        found.append(Candidate(FactKey.LEAD_TYPE, lead_type, token.idx, token.idx + len(token)))
    return found
