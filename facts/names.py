"""Person names: "mi chiamo Mario Rossi", "sono Giulia", "my name is John Smith".

Rules (used when no trained spaCy pipeline with NER is installed, and to check its
output when one is):

- after a strong cue ("mi chiamo", "my name is", "nome:") any name-like words;
- after a weak cue ("sono", "I'm", "this is") only a known first name;
- with no cue, the whole answer must be a name: a known first name, or capitalised
  words that are not dictionary words.

A name is 1-4 words (particles such as "de", "di", "van" aside), letters only, with a
vowel, never a greeting, a filler ("boh", "non lo so") or an email.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from facts.lexicon import is_first_name
from facts.models import FactKey
from facts.nlp import is_common_word, is_stop_word, trained_pipeline
from facts.text import Candidate, fold

STRONG_CUES = re.compile(
    r"\b(?:mi chiamo|mi chiamano|il mio nome (?:e|è)|my name is|my name's|name is|"
    r"chiamatemi|call me|sono il signor|sono la signora|sono la sig\.?ra|sono il sig\.?)\b\s*"
    r"|\b(?:nome e cognome|nome|name|full name)\s*[:=]\s*",
    re.IGNORECASE,
)
WEAK_CUES = re.compile(
    r"(?:^|[\s,.!])(?:sono|son|i am|i'm|im|this is|qui (?:e|è)|it's|it is|parla|speaking)\s+",
    re.IGNORECASE,
)
_WORD = re.compile(r"[^\W\d_](?:[^\W\d_]|['’\-](?=[^\W\d_]))*")
PARTICLES = frozenset(
    {
        "de",
        "di",
        "da",
        "del",
        "della",
        "dello",
        "dei",
        "van",
        "von",
        "der",
        "den",
        "la",
        "le",
        "lo",
        "mc",
        "mac",
        "d'",
        "dal",
        "dalla",
        "du",
        "el",
        "al",
        "bin",
        "ben",
    }
)
NOT_NAMES = frozenset(
    {
        "boh",
        "bho",
        "mah",
        "no",
        "si",
        "ok",
        "okay",
        "ciao",
        "salve",
        "buongiorno",
        "buonasera",
        "hello",
        "hi",
        "hey",
        "grazie",
        "thanks",
        "thank",
        "yes",
        "yeah",
        "nope",
        "nulla",
        "niente",
        "nessuno",
        "anonimo",
        "anonymous",
        "asdf",
        "qwerty",
        "test",
        "prova",
        "non",
        "dont",
        "don't",
        "know",
        "idk",
        "boo",
        "lol",
        "ahah",
        "haha",
        "bot",
        "agente",
        "agent",
        "operatore",
        "human",
        "umano",
        "stop",
        "help",
        "aiuto",
        "casa",
        "house",
        "interessato",
        "interessata",
        "interested",
        "looking",
        "cercando",
        "signor",
        "signora",
        "sig",
        "mr",
        "mrs",
        "ms",
        "dott",
        "dr",
        "dottor",
        "dottoressa",
        "avv",
        "ing",
        "milano",
        "milan",
        "italia",
        "italy",
        "whatsapp",
        "null",
        "none",
        "nome",
        "name",
    }
)
TITLES = frozenset(
    {
        "signor",
        "signora",
        "sig",
        "mr",
        "mrs",
        "ms",
        "dott",
        "dr",
        "dottor",
        "dottoressa",
        "avv",
        "ing",
        "miss",
        "sig.ra",
        "sigra",
    }
)
VOWELS = frozenset("aeiouyàèéìòù")
# First names that are also everyday words: accepted only with a capital letter.
AMBIGUOUS_FIRST_NAMES = frozenset(
    {
        "rosa",
        "felice",
        "serena",
        "gloria",
        "grazia",
        "bianca",
        "viola",
        "alba",
        "alma",
        "aurora",
        "asia",
        "chiara",
        "franco",
        "celeste",
        "mia",
        "lea",
        "iris",
        "ali",
        "bill",
        "mark",
        "jack",
        "rose",
        "grace",
        "joy",
        "hope",
        "may",
        "april",
        "will",
        "norma",
        "lia",
        "ines",
        "rocco",
        "romano",
        "sandra",
        "gina",
        "dino",
        "vittoria",
        "marina",
        "sara",
        "summer",
        "amber",
        "ruby",
        "holly",
        "poppy",
        "lily",
        "olga",
        "leo",
        "ivan",
    }
)
JOINERS = frozenset({"e", "ed", "and", "&"})
MAX_WORDS = 4


@dataclass(frozen=True, slots=True)
class _Word:
    text: str
    start: int
    end: int

    @property
    def folded(self) -> str:
        return fold(self.text)


def _words(text: str, start: int, end: int | None = None) -> list[_Word]:
    """Split a region of the text into words (letters, inner apostrophes, hyphens)."""
    segment_end = len(text) if end is None else end
    return [
        _Word(match.group(), match.start(), match.end())
        for match in _WORD.finditer(text, start, segment_end)
    ]


def _is_name_like(word: _Word) -> bool:
    """Letters with a vowel, not a filler word."""
    return (
        word.folded not in NOT_NAMES
        and any(char in VOWELS for char in word.folded)
        and len(word.text) >= 2
    )


def _name_run(words: list[_Word], text: str) -> list[_Word]:
    """Take the leading words that can be part of a name, stopping at a common word."""
    run: list[_Word] = []
    for index, word in enumerate(words):
        if index > 0 and text[words[index - 1].end : word.start].strip(" "):
            break
        if word.folded in PARTICLES and run and index + 1 < len(words):
            if word.text[0].isupper() or words[index + 1].text[0].isupper():
                run.append(word)
                continue
            break
        if not _is_name_like(word) or (run and not _can_continue(words, index)):
            break
        run.append(word)
        if sum(w.folded not in PARTICLES for w in run) == MAX_WORDS:
            break
    while run and run[-1].folded in PARTICLES:
        run.pop()
    return run


def _can_continue(words: list[_Word], index: int) -> bool:
    """Tell whether a later word still belongs to the name.

    Capitalised words and unknown words do. A lowercase dictionary word ("rossi")
    does only as the last word, before the end, punctuation or "e"/"and": in
    "sono mario vorrei comprare" the name stops before "vorrei".
    """
    word = words[index]
    if word.text[0].isupper() or not is_common_word(word.folded):
        return not is_stop_word(word.folded)
    if is_stop_word(word.folded) or index + 1 == len(words):
        return not is_stop_word(word.folded)
    return words[index + 1].folded in JOINERS


def _accepts_first(word: _Word, strength: str) -> bool:
    """Check the first word of a name against the cue that introduced it."""
    capitalised = word.text[0].isupper()
    if is_first_name(word.text):
        return capitalised or word.folded not in AMBIGUOUS_FIRST_NAMES
    if strength == "weak":
        return False
    if strength == "strong":
        return capitalised or not is_common_word(word.folded)
    return capitalised and not is_common_word(word.folded)


def title_case(name: str) -> str:
    """Capitalise a name typed all in lower or upper case ("d'angelo" -> "D'Angelo")."""
    if name != name.lower() and name != name.upper():
        return name
    parts = re.split(r"(['’\- ])", name.lower())
    return "".join(part.capitalize() if part.isalpha() else part for part in parts)


def _candidate(words: list[_Word], text: str, strength: str) -> Candidate | None:
    """Turn a run of words into a name candidate when the rules allow it."""
    words = [word for word in words if word.folded.rstrip(".") not in TITLES] or words
    run = _name_run(words, text)
    if not run or not _accepts_first(run[0], strength):
        return None
    value = title_case(text[run[0].start : run[-1].end])
    return Candidate(FactKey.CONTACT_NAME, value, run[0].start, run[-1].end)


def _after_cue(text: str, pattern: re.Pattern[str], strength: str) -> Candidate | None:
    """Find a name right after a cue."""
    for match in pattern.finditer(text):
        found = _candidate(_words(text, match.end()), text, strength)
        if found is not None:
            return found
    return None


PLEASANTRIES = frozenset(
    {
        "ciao",
        "salve",
        "buongiorno",
        "buonasera",
        "hi",
        "hello",
        "hey",
        "grazie",
        "thanks",
        "thank",
        "you",
        "mille",
        "ok",
        "certo",
        "sure",
        "prego",
        "allora",
    }
)


def _whole_answer(text: str) -> Candidate | None:
    """Accept the whole message as a name when nothing else is in it."""
    words = _words(text, 0)
    while words and words[0].folded in PLEASANTRIES:
        words.pop(0)
    while words and words[-1].folded in PLEASANTRIES:
        words.pop()
    if not words or len(words) > MAX_WORDS + 2 or re.search(r"[\d@#/]", text):
        return None
    found = _candidate(words, text, "none")
    if found is None or found.end != words[-1].end:
        return None
    if not is_first_name(words[0].text) and not all(w.text[0].isupper() for w in words):
        return None
    return found


def _from_ner(text: str, lang: str | None) -> Candidate | None:
    """Use a trained pipeline's PERSON entities when one is installed."""
    nlp = trained_pipeline(lang or "it")
    if nlp is None:
        return None
    for entity in nlp(text).ents:
        if entity.label_ in ("PER", "PERSON"):
            words = _words(text, entity.start_char, entity.end_char)
            found = _candidate(words, text, "strong")
            if found is not None:
                return found
    return None


def find_person_name(text: str, lang: str | None = None) -> Candidate | None:
    """Find a name introduced by a cue (or tagged by NER) in a free message."""
    return (
        _after_cue(text, STRONG_CUES, "strong")
        or _after_cue(text, WEAK_CUES, "weak")
        or _from_ner(text, lang)
    )


def _first_clause_answer(text: str) -> Candidate | None:
    """Accept a clause made only of a known first name and surname ("Olivia Brown, ...")."""
    for clause in re.split(r"[,;\n]", text):
        found = _whole_answer(clause.strip())
        if found is not None and is_first_name(str(found.value).split()[0]):
            return found
    return None


def parse_person_name(text: str, lang: str | None = None) -> str | None:
    """Return the title-cased name in an answer to "what is your name?", or None."""
    if not text or len(text) > 120:
        return None
    text = text.strip()
    found = (
        find_person_name(text, lang)
        or (_whole_answer(text) if "@" not in text else None)
        or _first_clause_answer(text)
    )
    if found is None:
        return None
    return str(found.value)
