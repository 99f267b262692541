"""Lead type from verbs: buy, rent or sell.

buy: "comprare", "acquisto", "buy"; rent: "affittare", "in affitto", "rent", "lease";
sell: "vendere", "mettere in vendita", "sell".

Lemmas come from spaCy's lookup lemmatizer ("compro", "comprerei" -> "comprare").
A verb negated just before ("non voglio comprare", "don't want to buy") is ignored.
"casa in vendita" is not a sell lead (the customer saw a listing): only "vendere"
and "mettere in vendita" are.
"""

from __future__ import annotations

from facts.models import FactKey
from facts.nlp import folded_doc
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


def _lead_of(lemma: str, lower: str) -> str | None:
    """Return the lead type a token expresses, if any."""
    for lead_type, words in LEAD_WORDS.items():
        if lemma in words or lower in words:
            return lead_type
    return None


def lead_type_candidates(text: str, lang: str) -> list[Candidate]:
    """Return the `lead_type` candidates of a message (one per verb)."""
    doc = folded_doc(text, lang)
    found = []
    for token in doc:
        lead_type = _lead_of(token.lemma_, token.lower_)
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
