"""Documents named in a message ("rogito", "APE", "busta paga", "passport")."""

from __future__ import annotations

from functools import lru_cache

from facts.gazetteer import Cues, Gazetteer, load_yaml
from facts.models import FactKey
from facts.nlp import folded_doc
from facts.text import Candidate

DOCUMENT_CUES = Cues(
    before=frozenset(
        {
            "l'",
            "dell'",
            "all'",
            "nell'",
            "un'",
            "il",
            "del",
            "al",
            "nel",
            "lo",
            "modello",
            "mod",
            "mod.",
            "ultimo",
            "ultimi",
            "the",
            "your",
            "my",
            "il mio",
            "vostro",
            "firmare",
            "firmato",
            "firma",
            "sign",
            "signed",
            "copia",
            "copy",
            "serve",
            "servono",
            "need",
            "mio",
            "tuo",
            "suo",
            "fare",
            "fatto",
        }
    ),
    after=frozenset({"certificate", "precompilato"}),
    fuzzy_needs_cue=False,
)
CODICE_FISCALE_DOCUMENT = "codice fiscale"


@lru_cache(maxsize=1)
def document_gazetteer() -> Gazetteer:
    """Load the document gazetteer once."""
    return Gazetteer.from_entries(load_yaml("documents.yml")["documents"], DOCUMENT_CUES)


def document_candidates(text: str, lang: str) -> list[Candidate]:
    """Return the `document` candidates of a message."""
    matches = document_gazetteer().find(folded_doc(text, lang), text)
    return [
        Candidate(FactKey.DOCUMENT, match.canonical, match.start, match.end) for match in matches
    ]
