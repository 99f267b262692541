"""Hybrid retrieval (dense FAISS + BM25, reciprocal-rank fusion) and the answer-or-abstain rule."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

import numpy as np

from knowledge_base.config import KbSettings
from knowledge_base.encoders import Encoder
from knowledge_base.index import ANALYZER, KbIndex, LangIndex
from knowledge_base.models import Answer, Decision, FaqEntry, SearchHit
from knowledge_base.text import analyze

ALL_SIGNALS = ("dense", "multilingual", "bm25")


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
    """Per-document best score and the row that produced it, for one signal."""

    scores: dict[str, float] = field(default_factory=dict)
    matched: dict[str, str] = field(default_factory=dict)

    def offer(self, key: str, score: float, text: str) -> None:
        if score > self.scores.get(key, -np.inf):
            self.scores[key] = score
            self.matched[key] = text

    def ranking(self) -> list[str]:
        return sorted(self.scores, key=self.scores.__getitem__, reverse=True)


def _sigmoid(x: float) -> float:
    return float(1.0 / (1.0 + np.exp(-x)))


@dataclass(frozen=True)
class ConfidenceModel:
    """Logistic combination of the top topic's scores, calibrated on the evaluation set.

    ``confidence = sigmoid(bias + w_dense*dense + w_multi*multilingual + w_bm25*bm25_norm
    + w_agree*agreement)``, where ``bm25_norm = bm25 / (bm25 + 5)`` and ``agreement`` is the
    fraction of signals whose own best topic is the fused one.
    """

    bias: float = -9.0
    w_dense: float = 4.0
    w_multi: float = 8.0
    w_bm25: float = 4.0
    w_agree: float = 2.0

    def score(self, hit: SearchHit, agreement: float) -> float:
        """Return the confidence that ``hit`` is the right topic (0..1)."""
        bm25 = hit.bm25 or 0.0
        x = self.bias + self.w_dense * (hit.dense or 0.0)
        x += self.w_multi * (hit.multilingual or 0.0)
        x += self.w_bm25 * (bm25 / (bm25 + 5.0)) + self.w_agree * agreement
        return _sigmoid(x)


class HybridRetriever:
    """Searches one in-memory :class:`KbIndex` with its encoders; safe to share across threads."""

    def __init__(
        self,
        kb: KbIndex,
        encoders: dict[str, Encoder],
        settings: KbSettings,
        *,
        signals: tuple[str, ...] = ALL_SIGNALS,
        confidence: ConfidenceModel | None = None,
    ) -> None:
        self.kb = kb
        self.encoders = encoders
        self.settings = settings
        self.signals = tuple(s for s in signals if s == "bm25" or s in encoders)
        self.confidence = confidence or ConfidenceModel()

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

    def _dense(self, li: LangIndex, name: str, query_vec: np.ndarray) -> _Signal:
        signal = _Signal()
        index = li.faiss_indexes.get(name)
        if index is None or index.ntotal == 0:
            return signal
        k = min(index.ntotal, max(self.settings.candidates * 10, 64))
        scores, ids = index.search(query_vec, k)
        for score, row_id in zip(scores[0], ids[0], strict=True):
            pos = li.position.get(int(row_id))
            if pos is not None:
                row = li.rows[pos]
                signal.offer(row.key, float(score), row.text)
        return signal

    def _bm25(self, li: LangIndex, query: str) -> _Signal:
        signal = _Signal()
        terms = analyze(query, li.lang, mode=ANALYZER)
        if li.bm25 is None or not terms:
            return signal
        scores = li.bm25.get_scores(terms)
        k = min(len(scores), max(self.settings.candidates * 10, 64))
        top = np.argpartition(-scores, k - 1)[:k] if k < len(scores) else np.arange(len(scores))
        for pos in top:
            if scores[pos] > 0:
                row = li.rows[int(pos)]
                signal.offer(row.key, float(scores[pos]), row.text)
        return signal

    def _signals(self, query: str, li: LangIndex) -> dict[str, _Signal]:
        found: dict[str, _Signal] = {}
        for name in self.signals:
            if name == "bm25":
                found[name] = self._bm25(li, query)
            else:
                vec = self.encoders[name].encode([query])
                found[name] = self._dense(li, name, vec)
        return found

    # ------------------------------------------------------------ fusion

    def _fuse(self, found: dict[str, _Signal]) -> dict[str, float]:
        fused: dict[str, float] = {}
        for signal in found.values():
            for rank, key in enumerate(signal.ranking()[: self.settings.candidates], start=1):
                fused[key] = fused.get(key, 0.0) + 1.0 / (self.settings.rrf_k + rank)
        return fused

    def _hit(self, key: str, rank: int, fused: float, found: dict[str, _Signal]) -> SearchHit:
        entry = self.kb.entries[key]
        dense, multi, bm25 = (found.get(n) for n in ALL_SIGNALS)
        best = max(found.values(), key=lambda s: s.scores.get(key, -np.inf), default=None)
        return SearchHit(
            id=entry.id,
            lang=entry.lang,
            title=entry.title,
            rank=rank,
            fused=round(fused, 6),
            confidence=0.0,
            dense=round(dense.scores[key], 4) if dense and key in dense.scores else None,
            multilingual=round(multi.scores[key], 4) if multi and key in multi.scores else None,
            bm25=round(bm25.scores.get(key, 0.0), 4) if bm25 else None,
            matched=best.matched.get(key, "") if best else "",
        )

    def _agreement(self, key: str, found: dict[str, _Signal]) -> float:
        tops = [s.ranking()[0] for s in found.values() if s.scores]
        return sum(t == key for t in tops) / max(len(found), 1)

    def search(self, query: str, lang: str, k: int | None = None) -> list[SearchHit]:
        """Return the top topics for ``query`` in ``lang`` with every signal's score."""
        li = self.kb.langs.get(lang)
        if li is None or not li.rows or not query.strip():
            return []
        found = self._signals(query, li)
        fused = self._fuse(found)
        ranked = sorted(fused, key=fused.__getitem__, reverse=True)[: k or self.settings.top_k]
        hits = [self._hit(key, r, fused[key], found) for r, key in enumerate(ranked, start=1)]
        for hit, key in zip(hits, ranked, strict=True):
            conf = self.confidence.score(hit, self._agreement(key, found))
            hit.confidence = round(conf, 4)
        return hits

    # ------------------------------------------------------------ decision

    def _decide(self, query: str, lang: str, hits: list[SearchHit], started: float) -> Answer:
        threshold = self.settings.answer_threshold
        answer = Answer(decision=Decision.ABSTAIN, query=query, lang=lang, hits=hits)
        answer.threshold = threshold
        if not hits:
            answer.reason = f"nothing in the {lang} knowledge base matches"
        else:
            top = hits[0]
            answer.confidence = top.confidence
            if top.confidence >= threshold:
                answer.decision = Decision.ANSWER
                answer.entry = self.get(top.id, top.lang)
                answer.answered_lang = top.lang
                answer.reason = f"confidence {top.confidence:.2f} >= threshold {threshold:.2f}"
            else:
                answer.reason = f"confidence {top.confidence:.2f} < threshold {threshold:.2f}"
        answer.elapsed_ms = round((time.perf_counter() - started) * 1000, 2)
        return answer

    def _fallback(self, query: str, lang: str, started: float) -> Answer | None:
        """Answer from another language when the asked one has no confident topic."""
        for other in self.kb.langs:
            if other == lang:
                continue
            hits = self.search(query, other)
            decided = self._decide(query, lang, hits, started)
            if not decided.is_answer or decided.entry is None:
                continue
            same = self.get(decided.entry.id, lang)
            if same is not None:
                decided.entry, decided.answered_lang = same, lang
                decided.reason += f" (matched in {other}, answered in {lang})"
            else:
                decided.reason += f" (only a {other} version exists)"
            return decided
        return None

    def answer(self, query: str, lang: str) -> Answer:
        """Return the entry to answer with, or an abstention with the reason."""
        started = time.perf_counter()
        decided = self._decide(query, lang, self.search(query, lang), started)
        if decided.is_answer or not self.settings.cross_language_fallback:
            return decided
        return self._fallback(query, lang, started) or decided
