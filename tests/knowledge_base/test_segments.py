"""One-document changes (delta segment, tombstones, exact BM25 statistics) equal a full rebuild."""

from __future__ import annotations

import logging
import random
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from knowledge_base import FaqEntry, KbSettings
from knowledge_base.index import DELTA_FILE, KbIndex, load_index, save_index, update_index
from knowledge_base.lexical import SegmentedBM25
from knowledge_base.retriever import HybridRetriever
from knowledge_base.segments import apply_changes, merge, persist
from knowledge_base.service import refresh_retriever, update_documents
from tests.knowledge_base.helpers import counting

WORDS = (
    "flat villa garage loft terrace garden lift cellar rent buy sell fee deposit cat dog".split()
)
AREAS = "Navigli Isola Brera Tortona Bocconi Lambrate Corsico Assago".split()


def generated(n: int, seed: int) -> list[FaqEntry]:
    """Return ``n`` English documents with distinct, realistic-looking generated questions."""
    rng = random.Random(seed)
    return [_entry(i, rng) for i in range(n)]


def _entry(i: int, rng: random.Random, lang: str = "en") -> FaqEntry:
    pick = [rng.choice(WORDS) for _ in range(4)]
    area = rng.choice(AREAS)
    return FaqEntry(
        id=f"g{i}",
        lang=lang,
        title=f"Is the {pick[0]} with a {pick[1]} in {area} still free? (ref {i})",
        alt_questions=[f"{pick[2]} and {pick[3]} near {area}, number {i}"],
        body=f"Listing {i}: {' '.join(pick)} in {area}.",
    )


def _queries(rng: random.Random, n: int = 25) -> list[str]:
    return [f"{rng.choice(WORDS)} {rng.choice(WORDS)} in {rng.choice(AREAS)}?" for _ in range(n)]


def _ranking(kb: KbIndex, encoders, kb_settings: KbSettings, query: str) -> list[tuple]:  # noqa: ANN001
    retriever = HybridRetriever(kb, encoders, kb_settings)
    hits = retriever.search(query, "en", k=15)
    return [(h.id, h.fused, h.multilingual, h.centroid, h.bm25) for h in hits]


def _assert_same_results(a: KbIndex, b: KbIndex, encoders, kb_settings, rng) -> None:  # noqa: ANN001
    for query in _queries(rng):
        left, right = (
            _ranking(a, encoders, kb_settings, query),
            _ranking(b, encoders, kb_settings, query),
        )
        assert [hit[0] for hit in left] == [hit[0] for hit in right], query
        assert np.allclose(
            np.array([hit[1:] for hit in left], dtype=float),
            np.array([hit[1:] for hit in right], dtype=float),
            rtol=1e-5,
            atol=1e-6,
            equal_nan=True,  # a signal that did not rank the topic (None) on both sides
        ), query


def _random_changes(entries: dict[str, FaqEntry], rng: random.Random, next_i: int) -> tuple:
    """Edit a title, edit only a body, remove one and add one document."""
    keys = sorted(entries)
    edited = entries[rng.choice(keys)]
    retitled = edited.model_copy(update={"title": f"Any {rng.choice(WORDS)} left? {edited.id}"})
    body_only = entries[rng.choice(keys)]
    body_only = body_only.model_copy(update={"body": body_only.body + " Pets welcome."})
    removed = rng.choice([k for k in keys if k not in (retitled.key, body_only.key)])
    return [retitled, body_only, _entry(next_i, rng)], [removed]


@pytest.fixture
def use_only(encoders):  # noqa: ANN001, ANN201
    """The real multilingual encoder alone (deterministic per sentence, quick to run)."""
    return {"multilingual": encoders["multilingual"]}


@pytest.mark.parametrize("hnsw_threshold", [50_000, 100])  # exact, then HNSW
def test_changes_rank_like_a_full_rebuild(tmp_path: Path, use_only, hnsw_threshold: int) -> None:  # noqa: ANN001
    kb_settings = KbSettings(index_dir=tmp_path, languages=("en",), hnsw_threshold=hnsw_threshold)
    rng = random.Random(5)
    entries = {e.key: e for e in generated(300, seed=1)}
    kb, _report = update_index(list(entries.values()), use_only, kb_settings, None)
    for step in range(4):
        upserts, removed = _random_changes(entries, rng, 1000 + step)
        kb, report = apply_changes(kb, upserts, removed, use_only, kb_settings)
        assert report.embedded_rows <= 3  # the retitled doc's title, the new doc's two questions
        for key in removed:
            entries.pop(key)
        entries |= {e.key: e for e in upserts}
    assert kb.langs["en"].delta is not None and kb.langs["en"].dead
    assert kb.langs["en"].faiss_kind == ("hnsw" if hnsw_threshold < 600 else "flat")
    rebuilt, _ = update_index(list(entries.values()), use_only, kb_settings, None)
    assert set(kb.entries) == set(rebuilt.entries)
    _assert_same_results(kb, rebuilt, use_only, kb_settings, rng)
    _assert_same_results(merge(kb, use_only, kb_settings), rebuilt, use_only, kb_settings, rng)


def test_delta_is_written_alone_and_read_back(tmp_path: Path, use_only) -> None:  # noqa: ANN001
    kb_settings = KbSettings(index_dir=tmp_path, languages=("en",))
    entries = generated(120, seed=2)
    kb, _ = update_index(entries, use_only, kb_settings, None)
    save_index(kb, tmp_path)
    base_files = {p: p.stat().st_mtime_ns for p in tmp_path.rglob("*") if p.is_file()}
    changed = entries[7].model_copy(update={"alt_questions": ["a loft with a view in Brera?"]})
    kb2, _ = apply_changes(kb, [changed], [entries[9].key], use_only, kb_settings)
    written = persist(kb2, tmp_path, use_only, kb_settings)
    assert written is kb2 and (tmp_path / DELTA_FILE).is_file()
    assert all(p.stat().st_mtime_ns == t for p, t in base_files.items())  # base untouched
    loaded = load_index(tmp_path)
    assert loaded.manifest.version == kb2.manifest.version != kb.manifest.version
    assert loaded.entries[changed.key] == changed and entries[9].key not in loaded.entries
    _assert_same_results(loaded, kb2, use_only, kb_settings, random.Random(1))


def test_a_big_delta_is_merged_without_embedding(tmp_path: Path, use_only) -> None:  # noqa: ANN001
    kb_settings = KbSettings(index_dir=tmp_path, languages=("en",), delta_max_docs=3)
    entries = generated(60, seed=3)
    kb, _ = update_index(entries, use_only, kb_settings, None)
    save_index(kb, tmp_path)
    bodies = [e.model_copy(update={"body": e.body + " New."}) for e in entries[:5]]
    kb2, _ = apply_changes(kb, bodies, [], use_only, kb_settings)
    counted = counting(use_only)
    written = persist(kb2, tmp_path, counted, kb_settings)
    assert counted["multilingual"].sentences == 0
    assert not (tmp_path / DELTA_FILE).exists() and written.langs["en"].delta is None
    assert load_index(tmp_path).manifest.docs == kb2.manifest.docs


def test_a_delta_of_another_base_is_ignored(tmp_path: Path, use_only, caplog) -> None:  # noqa: ANN001
    kb_settings = KbSettings(index_dir=tmp_path, languages=("en",))
    entries = generated(40, seed=4)
    kb, _ = update_index(entries, use_only, kb_settings, None)
    save_index(kb, tmp_path)
    changed = entries[0].model_copy(update={"body": "Sold."})
    persist(
        apply_changes(kb, [changed], [], use_only, kb_settings)[0], tmp_path, use_only, kb_settings
    )
    stale = (tmp_path / DELTA_FILE).read_text()
    other, _ = update_index(entries[1:], use_only, kb_settings, None)
    save_index(other, tmp_path)
    (tmp_path / DELTA_FILE).write_text(stale)
    with caplog.at_level(logging.WARNING, logger="knowledge_base"):
        loaded = load_index(tmp_path)
    assert set(loaded.entries) == set(other.entries)
    assert any("another base" in r.getMessage() for r in caplog.records)


def test_update_documents_keeps_the_old_retriever_intact(tmp_path: Path, use_only) -> None:  # noqa: ANN001
    kb_settings = KbSettings(index_dir=tmp_path, languages=("en",))
    entries = generated(50, seed=6)
    kb, _ = update_index(entries, use_only, kb_settings, None)
    save_index(kb, tmp_path)
    old = HybridRetriever(kb, use_only, kb_settings)
    question = "Do you accept payment in bitcoin for the deposit?"
    changed = entries[3].model_copy(update={"alt_questions": [question]})
    new, report = update_documents(old, [changed], [entries[4].key])
    assert report.changed == [changed.key] and report.removed == [entries[4].key]
    assert new.search(question, "en")[0].id == changed.id
    assert old.get(entries[4].id, "en") is not None  # copy-on-write: old snapshot unchanged
    assert new.get(entries[4].id, "en") is None
    assert load_index(tmp_path).manifest.version == new.version


@settings(max_examples=40, deadline=None)
@given(
    docs=st.lists(
        st.lists(st.sampled_from(WORDS), min_size=1, max_size=8), min_size=1, max_size=25
    ),
    ops=st.lists(
        st.tuples(
            st.integers(0, 30), st.none() | st.lists(st.sampled_from(WORDS), min_size=1, max_size=8)
        ),
        max_size=12,
    ),
    query=st.lists(st.sampled_from(WORDS), min_size=1, max_size=4),
)
def test_segmented_bm25_scores_equal_bm25s_rebuilt(docs, ops, query) -> None:  # noqa: ANN001
    import bm25s
    from bm25s.tokenization import Tokenized

    live = {f"d{i}": terms for i, terms in enumerate(docs)}
    index = SegmentedBM25.build(live)
    for number, terms in ops:  # None removes the document, a term list adds or replaces it
        key = f"d{number}"
        if terms is None:
            index = index.with_changes({}, [key])
            live.pop(key, None)
        else:
            index = index.with_changes({key: terms})
            live[key] = terms
    mine = index.scores(query)
    if not live:
        assert mine == {}
        return
    vocab: dict[str, int] = {}
    ids = [[vocab.setdefault(t, len(vocab)) for t in terms] for terms in live.values()]
    reference = bm25s.BM25()
    reference.index(Tokenized(ids=ids, vocab=vocab), show_progress=False)
    query_ids = [vocab[t] for t in query if t in vocab]
    expected = reference.get_scores(query_ids) if query_ids else np.zeros(len(live))
    got = np.array([mine.get(key, 0.0) for key in live])
    assert np.allclose(got, expected, rtol=1e-5, atol=1e-6)


def test_a_reader_refreshes_by_reading_only_the_delta(tmp_path: Path, use_only) -> None:  # noqa: ANN001
    kb_settings = KbSettings(index_dir=tmp_path, languages=("en",))
    entries = generated(50, seed=8)
    kb, _ = update_index(entries, use_only, kb_settings, None)
    save_index(kb, tmp_path)
    reader = HybridRetriever(load_index(tmp_path), use_only, kb_settings)  # another process
    writer = HybridRetriever(kb, use_only, kb_settings)
    question = "Is there a sauna in the building?"
    changed = entries[5].model_copy(update={"alt_questions": [question]})
    writer, _report = update_documents(writer, [changed])
    fresh = refresh_retriever(reader)
    assert fresh.version == writer.version != reader.version
    assert fresh.kb.base is reader.kb  # the base in memory was reused, not read again
    assert fresh.search(question, "en")[0].id == changed.id
    assert refresh_retriever(fresh) is fresh  # nothing new on disk
    (tmp_path / DELTA_FILE).write_text("{broken")  # unreadable delta: full load, no crash
    assert refresh_retriever(reader).kb.base is None
