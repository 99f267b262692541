"""Hybrid retrieval (dense FAISS + BM25, reciprocal-rank fusion) and the answer-or-abstain rule."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

import faiss
import numpy as np

from knowledge_base.config import KbSettings
from knowledge_base.encoders import Encoder
from knowledge_base.index import ANALYZER, KbIndex, LangIndex, Row
from knowledge_base.models import Answer, Decision, FaqEntry, SearchHit
from knowledge_base.text import analyze

SIGNALS = ("dense", "multilingual", "multilingual_cross", "multilingual_centroid", "bm25")
FEATURES = (
    "dense",
    "multilingual",
    "multilingual_cross",
    "centroid",
    "bm25",
    "agree",
    "margin",
    "lead_dense",
    "lead_multilingual",
    "lead_cross",
    "lead_bm25",
)
LEAD_SIGNALS = {
    "lead_dense": "dense",
    "lead_multilingual": "multilingual",
    "lead_cross": "multilingual_cross",
    "lead_bm25": "bm25",
}


@runtime_checkable
class Retriever(Protocol):
    """What the action server and the editor API need from a knowledge base."""

    @property
    def version(self) -> str:
        """Return the content version of the loaded index."""
        ...

    def search(self, query: str, lang: str, k: int | None = None) -> list[SearchHit]:
        """Return the top topics for ``query`` in ``lang``, best first."""
        ...

    def answer(self, query: str, lang: str) -> Answer:
        """Return the entry to answer with, or an abstention with the reason."""
        ...

    def get(self, doc_id: str, lang: str) -> FaqEntry | None:
        """Return one document as indexed, or ``None``."""
        ...


@dataclass
class _Signal:
    """Per-topic best score and the text that produced it, for one signal."""

    scores: dict[str, float] = field(default_factory=dict)
    matched: dict[str, str] = field(default_factory=dict)
    _ranking: list[str] | None = None

    def offer(self, topic: str, score: float, text: str = "") -> None:
        if score > self.scores.get(topic, -np.inf):
            self.scores[topic] = score
            self.matched[topic] = text
            self._ranking = None

    def ranking(self) -> list[str]:
        if self._ranking is None:
            self._ranking = sorted(self.scores, key=self.scores.__getitem__, reverse=True)
        return self._ranking


def confidence_features(hit: SearchHit, agree: float, margin: float) -> dict[str, float]:
    """Return the features the confidence model reads from the top hit."""
    bm25 = hit.bm25 or 0.0
    leads = {name: hit.leads.get(signal, 0.0) for name, signal in LEAD_SIGNALS.items()}
    return leads | {
        "dense": hit.dense or 0.0,
        "multilingual": hit.multilingual or 0.0,
        "multilingual_cross": hit.multilingual_cross or 0.0,
        "centroid": hit.centroid or 0.0,
        "bm25": bm25 / (bm25 + 5.0),
        "agree": agree,
        "margin": margin,
    }


def _lead(signal: _Signal, topic: str, name: str) -> float:
    """Return how far ``topic`` is ahead of (or behind) the best other topic in one signal."""
    ranking = signal.ranking()
    if topic not in signal.scores:
        return -1.0
    other = next((t for t in ranking if t != topic), None)
    score = signal.scores[topic]
    best_other = signal.scores[other] if other is not None else 0.0
    if name == "bm25":
        score, best_other = score / (score + 5.0), best_other / (best_other + 5.0)
    return round(score - best_other, 4)


def confidence(features: dict[str, float], weights: dict[str, float], bias: float) -> float:
    """Return the logistic confidence (0..1) that the top topic is the right one."""
    x = bias + sum(weights.get(name, 0.0) * value for name, value in features.items())
    return float(1.0 / (1.0 + np.exp(-x)))


class HybridRetriever:
    """Searches one in-memory :class:`KbIndex` with its encoders; safe to share across threads."""

    def __init__(
        self,
        kb: KbIndex,
        encoders: dict[str, Encoder],
        settings: KbSettings,
        *,
        signals: tuple[str, ...] | None = None,
    ) -> None:
        self.kb = kb
        self.encoders = encoders
        self.settings = settings
        wanted = signals if signals is not None else SIGNALS
        self.signals = tuple(s for s in wanted if s == "bm25" or s.split("_")[0] in encoders)
        self._incomplete = self._languages_missing_topics()
        cross = tuple(s for s in ("multilingual", "multilingual_centroid") if s in self.signals)
        self._cross_signals = cross or self.signals
        if settings.encoder_threads > 0:
            # One query at a time: OpenMP threads only spin against other processes.
            faiss.omp_set_num_threads(settings.encoder_threads)

    def _languages_missing_topics(self) -> set[str]:
        ids = {
            lang: {e.id for e in self.kb.entries.values() if e.lang == lang}
            for lang in self.kb.langs
        }
        every = set().union(*ids.values()) if ids else set()
        return {lang for lang, have in ids.items() if have != every}

    @property
    def version(self) -> str:
        """Return the content version of the loaded index."""
        return self.kb.manifest.version

    @property
    def entries(self) -> dict[str, FaqEntry]:
        """Return the indexed documents keyed by ``lang/id``."""
        return self.kb.entries

    def get(self, doc_id: str, lang: str) -> FaqEntry | None:
        """Return one document as indexed, or ``None``."""
        return self.kb.entries.get(f"{lang}/{doc_id}")

    # ------------------------------------------------------------ signals

    def _rows(self, li: LangIndex, name: str, vec: np.ndarray, lang: str) -> _Signal:
        """Best cosine per topic over the indexed questions of ``li`` (topic ids in ``lang``).

        Each segment (base, delta) is searched; rows of dead base documents are skipped and
        the base is asked for that many more rows; the best ``wanted`` rows of all segments
        are kept, exactly the rows one index over the live documents would return.
        """
        wanted = max(self.settings.candidates * 10, 64)
        found: list[tuple[float, Row]] = []
        for segment, dead in li.segments():
            index = segment.faiss_indexes.get(name)
            if index is None or index.ntotal == 0:
                continue
            extra = li.dead_rows if dead else 0
            scores, ids = index.search(vec, min(index.ntotal, wanted + extra))
            for score, row_id in zip(scores[0], ids[0], strict=True):
                pos = segment.position.get(int(row_id))
                if pos is not None and segment.rows[pos].key not in dead:
                    found.append((float(score), segment.rows[pos]))
        found.sort(key=lambda item: -item[0])
        signal = _Signal()
        for score, row in found[:wanted]:
            topic = row.key.split("/", 1)[1]
            if li.lang == lang or f"{lang}/{topic}" in self.kb.entries:
                signal.offer(topic, score, row.text)
        return signal

    def _centroid(self, li: LangIndex, name: str, vec: np.ndarray) -> _Signal:
        found: list[tuple[float, str]] = []
        for segment, dead in li.segments():
            centroids = segment.centroids.get(name)
            if centroids is None or not len(centroids):
                continue
            scores = centroids @ vec[0]
            k = min(len(scores), self.settings.candidates + len(dead))
            top = np.argpartition(-scores, k - 1)[:k] if k < len(scores) else np.arange(len(scores))
            found += [
                (float(scores[pos]), segment.doc_keys[int(pos)])
                for pos in top
                if segment.doc_keys[int(pos)] not in dead
            ]
        found.sort(key=lambda item: -item[0])
        signal = _Signal()
        for score, key in found[: self.settings.candidates]:
            signal.offer(key.split("/", 1)[1], score)
        return signal

    def _bm25(self, li: LangIndex, query: str) -> _Signal:
        signal = _Signal()
        terms = analyze(query, li.lang, mode=ANALYZER)
        if li.lexical is None or not terms:
            return signal
        for key, score in li.lexical.top(terms, self.settings.candidates):
            signal.offer(key.split("/", 1)[1], score)
        return signal

    def _signals(
        self, query: str, li: LangIndex, signals: tuple[str, ...] | None = None
    ) -> dict[str, _Signal]:
        signals = signals or self.signals
        needed = {name.split("_")[0] for name in signals} - {"bm25"}
        vectors = {n: self.encoders[n].encode([query]) for n in needed}
        found: dict[str, _Signal] = {}
        for name in signals:
            base = name.split("_")[0]
            if name == "bm25":
                found[name] = self._bm25(li, query)
            elif name.endswith("_centroid"):
                found[name] = self._centroid(li, base, vectors[base])
            elif name.endswith("_cross"):
                found[name] = self._cross(li, base, vectors[base])
            else:
                found[name] = self._rows(li, name, vectors[name], li.lang)
        return found

    def _cross(self, li: LangIndex, name: str, vec: np.ndarray) -> _Signal:
        """Best cosine over the other languages' questions (a cross-lingual encoder only)."""
        signal = _Signal()
        for other in self.kb.langs.values():
            if other.lang != li.lang:
                found = self._rows(other, name, vec, li.lang)
                for topic, score in found.scores.items():
                    signal.offer(topic, score, found.matched[topic])
        return signal

    # ------------------------------------------------------------ fusion

    def _weight(self, name: str, lang: str) -> float:
        weight = self.settings.signal_weights.get(name, 1.0)
        if name.startswith("dense") and lang not in self.settings.dense_languages:
            weight *= self.settings.foreign_dense_factor
        return weight

    def _fuse(self, found: dict[str, _Signal], lang: str) -> dict[str, float]:
        fused: dict[str, float] = {}
        for name, signal in found.items():
            weight = self._weight(name, lang)
            for rank, topic in enumerate(signal.ranking()[: self.settings.candidates], start=1):
                fused[topic] = fused.get(topic, 0.0) + weight / (self.settings.rrf_k + rank)
        return fused

    def _hit(self, topic: str, lang: str, rank: int, fused: float, found: dict) -> SearchHit:
        entry = self.kb.entries[f"{lang}/{topic}"]

        def score(name: str) -> float | None:
            signal = found.get(name)
            return round(signal.scores[topic], 4) if signal and topic in signal.scores else None

        rows = [found[n] for n in ("dense", "multilingual", "multilingual_cross") if n in found]
        best = max(rows, key=lambda s: s.scores.get(topic, -np.inf), default=None)
        bm25 = found.get("bm25")
        return SearchHit(
            id=topic,
            lang=lang,
            title=entry.title,
            rank=rank,
            fused=round(fused, 6),
            confidence=0.0,
            dense=score("dense"),
            multilingual=score("multilingual"),
            multilingual_cross=score("multilingual_cross"),
            centroid=score("multilingual_centroid"),
            bm25=round(bm25.scores.get(topic, 0.0), 4) if bm25 is not None else None,
            matched=best.matched.get(topic, "") if best else "",
        )

    def _set_support(self, hits: list[SearchHit], li: LangIndex, query: str) -> None:
        """Set how much of the question's wording each hit's document contains."""
        terms = analyze(query, li.lang, mode=ANALYZER)
        if li.lexical is None or not terms:
            return
        for hit in hits:
            key = f"{hit.lang}/{hit.id}"
            tokens = li.delta.doc_tokens.get(key) if li.delta is not None else None
            tokens = tokens or li.doc_tokens.get(key)
            document = set(tokens[1]) if tokens else set()
            hit.support = round(li.lexical.support(terms, document), 4)

    def _score_top(self, hits: list[SearchHit], found: dict[str, _Signal], lang: str) -> None:
        """Set the calibrated confidence on every hit (features relative to the runner-up)."""
        tops = [s.ranking()[0] for s in found.values() if s.scores]
        weights, bias = self.settings.confidence_weights, self.settings.confidence_bias
        for pos, hit in enumerate(hits):
            hit.leads = {name: _lead(signal, hit.id, name) for name, signal in found.items()}
            agree = sum(t == hit.id for t in tops) / max(len(found), 1)
            nxt = hits[pos + 1].fused if pos + 1 < len(hits) else 0.0
            margin = (hit.fused - nxt) / hit.fused if hit.fused > 0 else 0.0
            hit.agreement, hit.margin = round(agree, 4), round(margin, 4)
            features = confidence_features(hit, agree, margin)
            if lang not in self.settings.dense_languages:
                features["dense"] = 0.0
            hit.confidence = round(confidence(features, weights, bias), 4)

    def search(
        self, query: str, lang: str, k: int | None = None, *, cross_lingual: bool = False
    ) -> list[SearchHit]:
        """Return the top topics for ``query`` in ``lang`` with every signal's score.

        With ``cross_lingual`` the query is in another language: only the multilingual
        encoder's signals are used (BM25 and an English-only model cannot match it).
        """
        li = self.kb.langs.get(lang)
        if li is None or not li.live_rows or not query.strip():
            return []
        signals = self._cross_signals if cross_lingual else self.signals
        found = self._signals(query, li, signals)
        fused = self._fuse(found, lang)
        ranked = sorted(fused, key=fused.__getitem__, reverse=True)[: k or self.settings.top_k]
        hits = [self._hit(t, lang, r, fused[t], found) for r, t in enumerate(ranked, start=1)]
        self._set_support(hits, li, query)
        self._score_top(hits, found, lang)
        if cross_lingual:
            # The logistic model was fitted on same-language questions; across languages the
            # multilingual cosine alone is the calibrated score (see README).
            for hit in hits:
                hit.confidence = round(max(hit.multilingual or 0.0, 0.0), 4)
        return hits

    # ------------------------------------------------------------ decision

    def _decide(
        self,
        query: str,
        lang: str,
        hits: list[SearchHit],
        started: float,
        threshold: float | None = None,
    ) -> Answer:
        threshold = self.settings.answer_threshold if threshold is None else threshold
        answer = Answer(decision=Decision.ABSTAIN, query=query, lang=lang, hits=hits)
        answer.threshold = threshold
        if not hits:
            answer.reason = f"nothing in the {lang} knowledge base matches"
        else:
            top = hits[0]
            answer.confidence = top.confidence
            weak = self._weak_evidence(top)
            if weak:
                answer.reason = weak
            elif top.confidence >= threshold:
                answer.decision = Decision.ANSWER
                answer.entry = self.get(top.id, top.lang)
                answer.answered_lang = top.lang
                answer.reason = f"confidence {top.confidence:.3f} >= threshold {threshold:.3f}"
            else:
                answer.reason = f"confidence {top.confidence:.3f} < threshold {threshold:.3f}"
        answer.elapsed_ms = round((time.perf_counter() - started) * 1000, 2)
        return answer

    def _weak_evidence(self, top: SearchHit) -> str:
        """Return why the top topic lacks the evidence any answer needs ('' when it has it).

        The confidence model reads how far the top topic is ahead of the others, so a question
        the base does not cover can still get a high confidence when one topic is merely the
        least unrelated ("biglietto del tram per Bergamo" -> the office directions, which
        mention the tram). An answer also needs some absolute support: most of the question's
        distinctive words in the document, or a phrasing of the topic close in meaning.
        """
        similar = [s for s in (top.multilingual, top.multilingual_cross) if s is not None]
        if top.support is None or not similar:
            return ""
        similarity = max(similar)
        settings = self.settings
        if top.support < settings.min_support and similarity < settings.min_similarity:
            return (
                f"weak evidence for {top.id}: {top.support:.0%} of the question's words are in"
                f" the document (< {settings.min_support:.0%}) and the closest phrasing has"
                f" cosine {similarity:.2f} (< {settings.min_similarity:.2f})"
            )
        return ""

    def _fallback(self, query: str, lang: str, started: float) -> Answer | None:
        """Answer from a language that has a topic the asked language lacks."""
        for other in self.kb.langs:
            if other == lang:
                continue
            hits = self.search(query, other, cross_lingual=True)
            decided = self._decide(query, lang, hits, started, self.settings.fallback_threshold)
            if decided.is_answer and decided.entry and self.get(decided.entry.id, lang) is None:
                decided.reason += f" (only a {other} version exists)"
                return decided
        return None

    def answer(self, query: str, lang: str) -> Answer:
        """Return the entry to answer with, or an abstention with the reason.

        When ``lang`` lacks topics another language has, the other language is searched too
        and wins when its multilingual cosine beats the local answer's (same scale).
        """
        started = time.perf_counter()
        decided = self._decide(query, lang, self.search(query, lang), started)
        if not self.settings.cross_language_fallback or lang not in self._incomplete:
            return decided
        fallback = self._fallback(query, lang, started)
        if fallback is None:
            return decided
        if not decided.is_answer or fallback.confidence > (decided.hits[0].multilingual or 0.0):
            return fallback
        return decided
