"""Gazetteer matching: exact phrases with spaCy's PhraseMatcher, typos with rapidfuzz.

A gazetteer is a YAML list of entries, each a canonical name with variants:

- `variants`: matched anywhere (word boundaries come from spaCy's tokenizer).
- `ambiguous`: ordinary words too ("isola", "centro"): matched only after a cue
  ("zona", "a", "in", "near"...), before a post-cue ("area"), after another match
  joined by "e"/"o"/"or"/",", or when they are the whole message.
- `capitalised`: ambiguous variants that must also start with a capital letter
  ("Pero" the town, not "pero").
- `stop_after`: words that, right after an ambiguous variant, cancel it
  ("centro commerciale", "sesto piano").

Typos ("navili", "porta romna") are matched against the plain variants with a
Levenshtein distance of 1 (2 from eight characters), same first letter, only when at
least one token is not a dictionary word, a first name or a listed non-place.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import yaml
from rapidfuzz import process
from rapidfuzz.distance import Levenshtein
from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc, Span
from spacy.util import filter_spans

from facts.lexicon import DATA_DIR
from facts.nlp import LANGUAGES, blank_pipeline, is_common_word
from facts.text import fold

JOINERS = frozenset({"e", "o", "oppure", "or", "and", ",", "/", "&", "ed", "od"})
# Words that may surround a whole-message answer ("Garibaldi please", "Isola, grazie").
FILLERS = frozenset(
    {
        "please",
        "pls",
        "grazie",
        "thanks",
        "thank",
        "you",
        "per",
        "favore",
        "perfavore",
        "ok",
        "si",
        "yes",
        "allora",
        "magari",
        "forse",
        "maybe",
        "preferibilmente",
        "preferably",
        "ideally",
        "idealmente",
        "direi",
        "say",
        "let's",
        "tipo",
        "like",
        "ciao",
        "hi",
        "hello",
    }
)
MIN_FUZZY_LENGTH = 5


@dataclass(frozen=True, slots=True)
class Variant:
    """One spelling of a canonical name, folded, with its matching rules."""

    canonical: str
    text: str
    ambiguous: bool = False
    capitalised: bool = False
    stop_after: frozenset[str] = frozenset()
    spelling: str = ""


@dataclass(frozen=True, slots=True)
class GazetteerMatch:
    """A canonical name found at character offsets of the message."""

    canonical: str
    start: int
    end: int
    fuzzy: bool = False
    ambiguous: bool = False


@dataclass(frozen=True, slots=True)
class Cues:
    """Words that make an ambiguous variant a real mention."""

    before: frozenset[str]
    before_pairs: frozenset[tuple[str, str]] = frozenset()
    after: frozenset[str] = frozenset()
    fuzzy_needs_cue: bool = True


def load_yaml(name: str) -> Any:
    """Read a YAML file shipped in `facts/data/`."""
    with (DATA_DIR / name).open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def _variants_of(entry: dict[str, Any]) -> list[Variant]:
    """Expand one YAML entry into its variants."""
    canonical = str(entry["name"])
    stop_after = frozenset(fold(word) for word in entry.get("stop_after", []))
    capitalised = [str(item) for item in entry.get("capitalised", [])]
    ambiguous = [str(item) for item in entry.get("ambiguous", [])] + capitalised
    plain = [str(item) for item in entry.get("variants", [])]
    folded_ambiguous = {fold(item) for item in ambiguous}
    if fold(canonical) not in folded_ambiguous:
        plain.append(canonical)
    variants = [Variant(canonical, fold(item)) for item in dict.fromkeys(plain)]
    variants += [
        Variant(canonical, fold(item), True, item in capitalised, stop_after, item)
        for item in dict.fromkeys(ambiguous)
    ]
    return variants


def _build_matcher(nlp: Language, variants: list[Variant]) -> PhraseMatcher:
    """Build the PhraseMatcher of all variants for one pipeline."""
    matcher = PhraseMatcher(nlp.vocab, attr="LOWER")
    for index, variant in enumerate(variants):
        matcher.add(str(index), [nlp.make_doc(variant.text)])
    return matcher


def _fuzzy_buckets(variants: list[Variant]) -> dict[tuple[str, int], list[Variant]]:
    """Group plain variants by first letter and token count for fast fuzzy search."""
    buckets: dict[tuple[str, int], list[Variant]] = defaultdict(list)
    for variant in variants:
        if not variant.ambiguous and len(variant.text) >= MIN_FUZZY_LENGTH:
            buckets[(variant.text[0], len(variant.text.split()))].append(variant)
    return dict(buckets)


@dataclass(frozen=True)
class Gazetteer:
    """Canonical names with their variants, matched in folded spaCy docs (read-only)."""

    variants: list[Variant]
    cues: Cues
    blocked: frozenset[str]
    matchers: dict[str, PhraseMatcher] = field(repr=False)
    fuzzy_buckets: dict[tuple[str, int], list[Variant]] = field(repr=False)

    @classmethod
    def from_entries(
        cls, entries: list[dict[str, Any]], cues: Cues, blocked: frozenset[str] = frozenset()
    ) -> Gazetteer:
        """Build a gazetteer (and its matchers for every language) from YAML entries."""
        variants = [variant for entry in entries for variant in _variants_of(entry)]
        matchers = {lang: _build_matcher(blank_pipeline(lang), variants) for lang in LANGUAGES}
        return cls(variants, cues, blocked, matchers, _fuzzy_buckets(variants))

    @property
    def canonical_names(self) -> list[str]:
        """Return the canonical names in file order."""
        return list(dict.fromkeys(variant.canonical for variant in self.variants))

    def find(self, doc: Doc, text: str, *, anywhere: bool = False) -> list[GazetteerMatch]:
        """Find canonical names in a folded doc of `text`, leftmost-longest first.

        Args:
            doc: the folded doc from `facts.nlp.folded_doc`.
            text: the original message (for capital letters).
            anywhere: accept ambiguous variants and typos without a cue (the user
                was asked for exactly this, e.g. the area slot).
        """
        found = self._find_exact(doc, text, anywhere=anywhere)
        taken = {
            token.i for match in found for token in doc.char_span(match.start, match.end) or ()
        }
        found += self._find_fuzzy(doc, taken, found, anywhere=anywhere)
        return sorted(found, key=lambda match: match.start)

    def _find_exact(self, doc: Doc, text: str, *, anywhere: bool) -> list[GazetteerMatch]:
        """Match variants exactly; keep the longest of overlapping accepted matches."""
        nlp = blank_pipeline(doc.lang_)
        by_span: dict[tuple[int, int], list[Variant]] = defaultdict(list)
        for match_id, start, end in self.matchers[doc.lang_](doc):
            by_span[(start, end)].append(self.variants[int(nlp.vocab.strings[match_id])])
        found: list[GazetteerMatch] = []
        spans: list[Span] = []
        for start, end in sorted(by_span):
            span = doc[start:end]
            variant = next(
                (v for v in by_span[(start, end)] if self._accepts(v, span, text, found, anywhere)),
                None,
            )
            if variant is not None:
                spans.append(span)
                found.append(
                    GazetteerMatch(
                        variant.canonical,
                        span.start_char,
                        span.end_char,
                        ambiguous=variant.ambiguous,
                    )
                )
        kept = {(span.start_char, span.end_char) for span in filter_spans(spans)}
        return [match for match in found if (match.start, match.end) in kept]

    def _accepts(
        self, variant: Variant, span: Span, text: str, found: list[GazetteerMatch], anywhere: bool
    ) -> bool:
        """Apply the ambiguity rules to one exact match."""
        if not variant.ambiguous:
            return True
        if variant.capitalised and not _is_spelt_as(variant, text[span.start_char : span.end_char]):
            return False
        following = span.doc[span.end].lower_ if span.end < len(span.doc) else ""
        if following in variant.stop_after:
            return False
        return anywhere or self._has_cue(span, found)

    def _has_cue(self, span: Span, found: list[GazetteerMatch]) -> bool:
        """Tell whether a cue, a joined earlier match or nothing else surrounds a span."""
        doc = span.doc
        before = [token.lower_ for token in doc[max(0, span.start - 2) : span.start]]
        if before and before[-1] in self.cues.before:
            return True
        if len(before) == 2 and (before[0], before[1]) in self.cues.before_pairs:
            return True
        if span.end < len(doc) and doc[span.end].lower_ in self.cues.after:
            return True
        if before and before[-1] in JOINERS and span.start >= 2:
            previous_end = doc[span.start - 2].idx + len(doc[span.start - 2])
            if any(match.end == previous_end for match in found):
                return True
        return _is_whole_message(span, self.cues)

    def _find_fuzzy(
        self, doc: Doc, taken: set[int], found: list[GazetteerMatch], *, anywhere: bool
    ) -> list[GazetteerMatch]:
        """Match misspelt variants on token n-grams not covered by exact matches."""
        results: list[GazetteerMatch] = []
        index = 0
        while index < len(doc):
            match = self._fuzzy_at(doc, index, taken, found, anywhere=anywhere)
            if match is None:
                index += 1
                continue
            results.append(match[0])
            index = match[1]
        return results

    def _fuzzy_at(
        self, doc: Doc, index: int, taken: set[int], found: list[GazetteerMatch], *, anywhere: bool
    ) -> tuple[GazetteerMatch, int] | None:
        """Try the longest n-gram first at one token position."""
        for size in (3, 2, 1):
            end = index + size
            if end > len(doc) or any(i in taken for i in range(index, end)):
                continue
            span = doc[index:end]
            variant = self._closest(span)
            if variant is None:
                continue
            if not anywhere and self.cues.fuzzy_needs_cue and not self._has_cue(span, found):
                continue
            return GazetteerMatch(variant.canonical, span.start_char, span.end_char, True), end
        return None

    def _closest(self, span: Span) -> Variant | None:
        """Return the variant within the allowed edit distance of a span, if any."""
        if not self._is_fuzzy_candidate(span):
            return None
        query = " ".join(token.lower_ for token in span)
        bucket = self.fuzzy_buckets.get((query[0], len(span)))
        if not bucket:
            return None
        limit = 1 if len(query) < 8 else 2
        best = process.extractOne(
            query,
            [variant.text for variant in bucket],
            scorer=Levenshtein.distance,
            score_cutoff=limit,
        )
        if best is None:
            return None
        return bucket[best[2]]

    def _is_fuzzy_candidate(self, span: Span) -> bool:
        """Only alphabetic n-grams with at least one unknown word can be typos."""
        if any(not token.is_alpha for token in span):
            return False
        if span[0].lower_ in self.cues.before or span[-1].lower_ in self.cues.before:
            return False
        if len(span.text) < MIN_FUZZY_LENGTH:
            return False
        return any(
            len(token) >= 3
            and not is_common_word(token.lower_)
            and token.lower_ not in self.blocked
            for token in span
        )


def _is_spelt_as(variant: Variant, raw: str) -> bool:
    """Tell whether the raw text has the variant's capital letter and accents."""
    return raw[:1].isupper() and raw.lower() == variant.spelling.lower()


def _is_whole_message(span: Span, cues: Cues) -> bool:
    """Tell whether only cues, fillers and punctuation surround the span in the message."""
    doc = span.doc
    others = [token for token in doc if token.i < span.start or token.i >= span.end]
    return all(
        token.is_punct
        or token.is_space
        or token.lower_ in cues.before
        or token.lower_ in cues.after
        or token.lower_ in FILLERS
        for token in others
    )
