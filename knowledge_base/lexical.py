"""BM25 that changes one document at a time: an immutable base segment plus a small delta.

Why not ``bm25s``: it precomputes every document's score per term, so one changed document
means rebuilding the whole index (≈ 1 s at 100,000 documents). Here the base segment stores
raw term frequencies (sparse, column-major) and document lengths; deleted or replaced base
documents are tombstones; new versions live in a small delta. The collection statistics a
BM25 score depends on – the number of live documents ``N``, the average length ``avgdl`` and
each term's document frequency ``df`` – are kept exact for the live documents on every
change. Every live document therefore gets exactly the score a full rebuild over the same
documents would give it (same formula as ``bm25s``' default Lucene variant:
``idf = ln(1 + (N - df + 0.5) / (df + 0.5))``, ``tf / (tf + k1 (1 - b + b dl / avgdl))``,
query terms counted with their repetitions), so rankings are identical, not approximate.
A change is copy-on-write (:meth:`SegmentedBM25.with_changes` returns a new object), so a
search running in another thread never sees half an update.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np
from scipy import sparse

K1 = 1.5
B = 0.75


@dataclass(frozen=True)
class _BaseSegment:
    """The large immutable part: term frequencies of documents, as sparse matrices."""

    keys: list[str]
    position: dict[str, int]
    vocab: dict[str, int]
    terms: list[str]
    by_term: sparse.csc_matrix
    by_doc: sparse.csr_matrix
    lengths: np.ndarray
    nz_lengths: np.ndarray  # the length of the document of each stored frequency (by_term order)

    @classmethod
    def build(cls, docs: Mapping[str, Counter[str]]) -> _BaseSegment:
        keys = list(docs)
        vocab: dict[str, int] = {}
        rows: list[int] = []
        cols: list[int] = []
        counts: list[int] = []
        for pos, key in enumerate(keys):
            for term, count in docs[key].items():
                rows.append(pos)
                cols.append(vocab.setdefault(term, len(vocab)))
                counts.append(count)
        shape = (len(keys), len(vocab))
        by_doc = sparse.csr_matrix(
            (np.array(counts, np.float64), (np.array(rows, np.int64), np.array(cols, np.int64))),
            shape=shape,
        )
        lengths = np.asarray(by_doc.sum(axis=1), dtype=np.float64).ravel()
        return cls(
            keys=keys,
            position={key: pos for pos, key in enumerate(keys)},
            vocab=vocab,
            terms=list(vocab),
            by_term=by_doc.tocsc(),
            by_doc=by_doc,
            lengths=lengths,
            nz_lengths=lengths[by_doc.tocsc().indices],
        )

    def counts(self, key: str) -> Counter[str]:
        """Return the term counts of one base document."""
        pos = self.position[key]
        start, end = self.by_doc.indptr[pos], self.by_doc.indptr[pos + 1]
        ids, tfs = self.by_doc.indices[start:end], self.by_doc.data[start:end]
        return Counter({self.terms[i]: int(tf) for i, tf in zip(ids, tfs, strict=True)})


def _idf(df: int, n_docs: int) -> float:
    return math.log(1.0 + (n_docs - df + 0.5) / (df + 0.5))


def _tf_part(tf: np.ndarray | float, length: np.ndarray | float, avgdl: float) -> np.ndarray:
    return np.asarray(tf / (tf + K1 * (1.0 - B + B * length / avgdl)))


class SegmentedBM25:
    """BM25 over a base segment, tombstones and a delta, with exact live statistics."""

    def __init__(
        self,
        base: _BaseSegment,
        *,
        delta: dict[str, Counter[str]] | None = None,
        dead: frozenset[str] = frozenset(),
        df: dict[str, int] | None = None,
        n_docs: int | None = None,
        total_length: float | None = None,
    ) -> None:
        self.base = base
        self.delta = delta or {}
        self.dead = dead
        if df is None:
            doc_freq = np.diff(base.by_term.indptr)
            df = {term: int(doc_freq[i]) for i, term in enumerate(base.terms)}
        self.df = df
        self.n_docs = len(base.keys) if n_docs is None else n_docs
        self.total_length = float(base.lengths.sum()) if total_length is None else total_length
        self._columns: dict[str, np.ndarray] = {}  # term -> idf * tf part (these statistics)
        self._dead_positions = np.array(
            sorted(base.position[k] for k in dead if k in base.position), dtype=np.int64
        )

    @classmethod
    def build(cls, docs: Mapping[str, list[str]]) -> SegmentedBM25:
        """Return an index with every document in the base segment."""
        return cls(_BaseSegment.build({key: Counter(terms) for key, terms in docs.items()}))

    # ------------------------------------------------------------ changes

    @property
    def delta_size(self) -> int:
        """Return how many documents live outside the base segment (the merge trigger)."""
        return len(self.delta) + len(self.dead)

    def is_live(self, key: str) -> bool:
        """Return True when ``key`` is a document of the index."""
        return key in self.delta or (key in self.base.position and key not in self.dead)

    def with_changes(
        self, upserts: Mapping[str, list[str]], removed: Iterable[str] = ()
    ) -> SegmentedBM25:
        """Return a new index with documents added, replaced or removed (``self`` unchanged)."""
        delta = dict(self.delta)
        dead = set(self.dead)
        df = dict(self.df)
        stats = [self.n_docs, self.total_length]
        for key in [*upserts, *removed]:
            self._drop(key, delta, dead, df, stats)
        for key, terms in upserts.items():
            counts = Counter(terms)
            delta[key] = counts
            for term in counts:
                df[term] = df.get(term, 0) + 1
            stats[0] += 1
            stats[1] += sum(counts.values())
        return SegmentedBM25(
            self.base,
            delta=delta,
            dead=frozenset(dead),
            df=df,
            n_docs=int(stats[0]),
            total_length=float(stats[1]),
        )

    def _drop(
        self,
        key: str,
        delta: dict[str, Counter[str]],
        dead: set[str],
        df: dict[str, int],
        stats: list,
    ) -> None:
        if key in delta:
            counts = delta.pop(key)
        elif key in self.base.position and key not in dead:
            counts = self.base.counts(key)
            dead.add(key)
        else:
            return
        for term in counts:
            df[term] -= 1
        stats[0] -= 1
        stats[1] -= sum(counts.values())

    def documents(self) -> dict[str, Counter[str]]:
        """Return the term counts of every live document (base order, then delta)."""
        live = {k: self.base.counts(k) for k in self.base.keys if k not in self.dead}
        return live | self.delta

    def merged(self) -> SegmentedBM25:
        """Return the same documents in one base segment (no tombstones, empty delta)."""
        return SegmentedBM25(_BaseSegment.build(self.documents()))

    # ------------------------------------------------------------ scoring

    def idf(self, term: str) -> float:
        """Return a term's IDF over the live documents (a term no document has gets the most)."""
        return _idf(self.df.get(term, 0), max(self.n_docs, 1))

    def support(self, terms: list[str], document: set[str]) -> float:
        """Return the IDF-weighted share of the query's terms that ``document`` contains.

        A question whose distinctive words the document lacks (words the whole base never
        uses weigh most) is poorly supported, however similar its sentence embedding looks.
        """
        unique = set(terms)
        weights = {term: self.idf(term) for term in unique}
        total = sum(weights.values())
        if total <= 0:
            return 0.0
        return sum(w for term, w in weights.items() if term in document) / total

    def scores(self, terms: list[str]) -> dict[str, float]:
        """Return the BM25 score of every live document that contains a query term."""
        return dict(self._ranked(terms, None))

    def top(self, terms: list[str], k: int) -> list[tuple[str, float]]:
        """Return the ``k`` best live documents for ``terms`` (score > 0), best first."""
        return self._ranked(terms, k)

    def _ranked(self, terms: list[str], k: int | None) -> list[tuple[str, float]]:
        if self.n_docs <= 0:
            return []
        avgdl = self.total_length / self.n_docs
        query = Counter(t for t in terms if self.df.get(t, 0) > 0)
        if not query:
            return []
        base_scores = self._base_scores(query, avgdl)
        positions = np.flatnonzero(base_scores)
        if k is not None and len(positions) > k:
            # Keep every document tied with the k-th: ties are then broken by key, the same
            # way whichever segment a document is in.
            kth = np.partition(base_scores[positions], len(positions) - k)[len(positions) - k]
            positions = positions[base_scores[positions] >= kth]
        found = [(self.base.keys[pos], float(base_scores[pos])) for pos in positions]
        found += self._delta_scores(query, avgdl)
        found.sort(key=lambda item: (-item[1], item[0]))
        return found if k is None else found[:k]

    def _delta_scores(self, query: Counter[str], avgdl: float) -> list[tuple[str, float]]:
        found = []
        for key, counts in self.delta.items():
            length = sum(counts.values())
            score = 0.0
            for term, times in query.items():
                if term in counts:
                    value = _idf(self.df[term], self.n_docs) * _tf_part(counts[term], length, avgdl)
                    score += float(value * times if times != 1 else value)
            if score > 0:
                found.append((key, score))
        return found

    def _column(self, term: str, col: int, avgdl: float) -> np.ndarray:
        """Return ``idf * tf part`` of every base document holding ``term`` (cached)."""
        cached = self._columns.get(term)
        if cached is None:
            matrix = self.base.by_term
            start, end = matrix.indptr[col], matrix.indptr[col + 1]
            idf = _idf(self.df[term], self.n_docs)
            tfs, lengths = matrix.data[start:end], self.base.nz_lengths[start:end]
            cached = self._columns[term] = idf * _tf_part(tfs, lengths, avgdl)
        return cached

    def _base_scores(self, query: Counter[str], avgdl: float) -> np.ndarray:
        base = self.base
        matrix = base.by_term
        docs: list[np.ndarray] = []
        values: list[np.ndarray] = []
        for term, times in query.items():
            col = base.vocab.get(term)
            if col is None:
                continue
            column = self._column(term, col, avgdl)
            docs.append(matrix.indices[matrix.indptr[col] : matrix.indptr[col + 1]])
            values.append(column * times if times != 1 else column)
        if not docs:
            return np.zeros(len(base.keys), dtype=np.float64)
        scores = np.bincount(
            np.concatenate(docs), weights=np.concatenate(values), minlength=len(base.keys)
        )
        if len(self._dead_positions):
            scores[self._dead_positions] = 0.0
        return scores
