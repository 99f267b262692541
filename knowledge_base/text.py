"""Text analysis for the lexical (BM25) index: lowercase, no accents, stop words out, stems."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import snowballstemmer

TOKEN = re.compile(r"[a-z0-9]+")
STEMMER_LANGUAGES = {"it": "italian", "en": "english"}

STOPWORDS: dict[str, frozenset[str]] = {
    "it": frozenset(
        """a ad al alla alle agli ai all allo anche avete abbiamo avere c ci che chi come con
        cosa d da dai dal dalla dalle de degli dei del dell della delle dello di do e ed ecc gli
        ha hai hanno ho i il in io l la le li lo ma mi mia mie mio ne nei nel nella nelle noi non
        o per perche piu po poi qual quale quali quando quanto quella quelle quello questa queste
        questo qui s sa se si sia siamo siete sono su sua sue sul sulla suo ti tra tu un una uno
        vi voi vostra vostro vorrei volevo sapere salve ciao buongiorno buonasera grazie e
        posso potete puo scusate""".split()
    ),
    "en": frozenset(
        """a about an and are as at be been but by can could do does for from had has have hello
        hi how i if in is it its me my of on or our please so that the their them then there
        these they this to us was we were what when where which who will with would you your
        yours thanks thank hey""".split()
    ),
}


def fold(text: str) -> str:
    """Return ``text`` lowercased with accents removed (``perché`` -> ``perche``)."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


@lru_cache(maxsize=8)
def _stemmer(lang: str) -> snowballstemmer.stemmer:
    return snowballstemmer.stemmer(STEMMER_LANGUAGES.get(lang, "english"))


@lru_cache(maxsize=200_000)
def stem(word: str, lang: str) -> str:
    """Return the Snowball stem of one folded word (cached: a vocabulary is small)."""
    return str(_stemmer(lang).stemWord(word))


def analyze(text: str, lang: str, *, mode: str = "stem") -> list[str]:
    """Return the BM25 terms of ``text``.

    Args:
        text: a question or a document field.
        lang: two-letter language code; selects stop words and stemmer.
        mode: ``stem`` (Snowball stems), ``plain`` (folded words) or ``ngram``
            (stems plus character 4-grams, which tolerate typos).
    """
    words = [w for w in TOKEN.findall(fold(text)) if w not in STOPWORDS.get(lang, frozenset())]
    if mode == "plain":
        return words
    stems = [stem(w, lang) for w in words]
    if mode == "stem":
        return stems
    grams = [f"#{w[i : i + 4]}" for w in words if len(w) > 4 for i in range(len(w) - 3)]
    return stems + grams
