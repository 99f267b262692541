"""The spaCy pipelines, built once per process on first use.

Each language gets a blank pipeline (tokenizer plus the lookup lemmatizer from
`spacy-lookups-data`). When a trained pipeline such as `it_core_news_sm` or
`en_core_web_sm` is installed it is loaded too, only for person names.
"""

from __future__ import annotations

import gzip
import json
import logging
from functools import lru_cache
from importlib import resources
from typing import Final

import spacy
from spacy.language import Language
from spacy.tokens import Doc

from facts.text import fold

logger = logging.getLogger(__name__)

LANGUAGES: Final = ("it", "en")
TRAINED_PIPELINES: Final = {
    "it": ("it_core_news_sm", "it_core_news_md", "it_core_news_lg"),
    "en": ("en_core_web_sm", "en_core_web_md", "en_core_web_lg"),
}


def norm_lang(lang: str | None) -> str:
    """Map any language tag to one of the supported ones (`it` by default)."""
    if lang and lang.lower()[:2] == "en":
        return "en"
    return "it"


@lru_cache(maxsize=2)
def blank_pipeline(lang: str) -> Language:
    """Return the blank pipeline for `lang` with the lookup lemmatizer."""
    nlp = spacy.blank(lang)
    try:
        nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
        nlp.initialize()
    except (ValueError, OSError) as error:  # spacy-lookups-data missing: tokens only
        logger.warning("spaCy lookup lemmatizer unavailable for %s: %s", lang, error)
        nlp = spacy.blank(lang)
    return nlp


def folded_doc(text: str, lang: str) -> Doc:
    """Tokenise and lemmatise the folded text (offsets equal the original text's)."""
    return blank_pipeline(norm_lang(lang))(fold(text))


@lru_cache(maxsize=2)
def trained_pipeline(lang: str) -> Language | None:
    """Load an installed trained pipeline for names, or None when there is none."""
    for name in TRAINED_PIPELINES.get(norm_lang(lang), ()):
        if spacy.util.is_package(name):
            return spacy.load(name, exclude=["parser", "lemmatizer", "textcat"])
    return None


def _lookup_words(table: str) -> set[str]:
    """Read the word forms and lemmas of one spacy-lookups-data lemma table."""
    try:
        source = resources.files("spacy_lookups_data").joinpath("data", table)
        with gzip.open(source.open("rb"), "rt", encoding="utf-8") as handle:
            mapping: dict[str, str] = json.load(handle)
    except (ModuleNotFoundError, FileNotFoundError) as error:
        logger.warning("spacy-lookups-data table %s unavailable: %s", table, error)
        return set()
    return {fold(word) for pair in mapping.items() for word in pair}


@lru_cache(maxsize=1)
def common_words() -> frozenset[str]:
    """Return the known Italian and English words (folded), used to refuse fuzzy matches.

    A token that is a real word ("turno", "affari", "corretto") is never taken for a
    misspelt place name ("Turro", "Affori", "Corvetto").
    """
    words = _lookup_words("it_lemma_lookup.json.gz") | _lookup_words("en_lemma_lookup.json.gz")
    return frozenset(words | stop_words())


def is_common_word(word: str) -> bool:
    """Tell whether a folded word is a known dictionary or stop word."""
    return word in common_words()


@lru_cache(maxsize=1)
def stop_words() -> frozenset[str]:
    """Return spaCy's Italian and English stop words, folded."""
    return frozenset(
        fold(word) for lang in LANGUAGES for word in blank_pipeline(lang).Defaults.stop_words
    )


def is_stop_word(word: str) -> bool:
    """Tell whether a folded word is an Italian or English stop word."""
    return word in stop_words()
