"""The persisted index: per language, FAISS per encoder plus BM25, rebuilt incrementally."""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import hashlib
import json
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import faiss
import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from scipy import sparse

from knowledge_base.config import KbSettings
from knowledge_base.encoders import Encoder
from knowledge_base.lexical import SegmentedBM25
from knowledge_base.models import BuildReport, FaqEntry
from knowledge_base.text import analyze

log = logging.getLogger(__name__)

INDEX_FORMAT = 3
ANALYZER = "stem"
DELTA_FILE = "delta.json"


class CorruptIndexError(RuntimeError):
    """Files under the index directory are missing, unreadable or inconsistent."""


class Row(BaseModel):
    """One indexed text (a question, an alternative question or an answer) of one document."""

    model_config = ConfigDict(extra="forbid")

    row_id: int
    key: str
    text: str
    kind: str


class EncoderInfo(BaseModel):
    """Which model produced the stored vectors of one signal."""

    model_config = ConfigDict(extra="forbid")

    model: str
    dim: int


class LangInfo(BaseModel):
    """Bookkeeping of one language's files."""

    model_config = ConfigDict(extra="forbid")

    rows: int = 0
    next_id: int = 0
    faiss_kind: str = "flat"


class Manifest(BaseModel):
    """What the index on disk was built from; written last, so it commits a build."""

    model_config = ConfigDict(extra="forbid")

    format: int = INDEX_FORMAT
    version: str = ""
    analyzer: str = ANALYZER
    index_answers: bool = False
    encoders: dict[str, EncoderInfo] = Field(default_factory=dict)
    docs: dict[str, str] = Field(default_factory=dict)
    langs: dict[str, LangInfo] = Field(default_factory=dict)
    built_at: str = ""


@dataclass
class LangIndex:
    """Everything needed to search one language, in memory.

    The fields describe the large *base* segment. Documents changed since it was built live in
    ``delta`` (a small exact-search :class:`LangIndex` of their own), and ``dead`` lists the
    base documents those changes replaced or removed (tombstones: their rows are skipped).
    ``lexical`` is one BM25 over both, with the statistics of the live documents only.
    """

    lang: str
    rows: list[Row] = field(default_factory=list)
    vectors: dict[str, np.ndarray] = field(default_factory=dict)
    faiss_indexes: dict[str, faiss.Index] = field(default_factory=dict)
    lexical: SegmentedBM25 | None = None
    doc_keys: list[str] = field(default_factory=list)
    doc_tokens: dict[str, tuple[str, list[str]]] = field(default_factory=dict)
    centroids: dict[str, np.ndarray] = field(default_factory=dict)
    next_id: int = 0
    faiss_kind: str = "flat"
    delta: LangIndex | None = None
    dead: frozenset[str] = frozenset()
    dead_rows: int = 0

    def __post_init__(self) -> None:
        self.position: dict[int, int] = {}
        self.key_rows: dict[str, list[int]] = {}
        self.reindex_positions()

    def reindex_positions(self) -> None:
        """Map FAISS ids to row positions (ids absent from the map are deleted rows)."""
        self.position = {row.row_id: pos for pos, row in enumerate(self.rows)}
        self.key_rows = {}
        for pos, row in enumerate(self.rows):
            self.key_rows.setdefault(row.key, []).append(pos)

    def segments(self) -> list[tuple[LangIndex, frozenset[str]]]:
        """Return the segments to search, each with the document keys to skip in it."""
        found = [(self, self.dead)]
        if self.delta is not None:
            found.append((self.delta, frozenset()))
        return found

    @property
    def live_rows(self) -> int:
        """Return how many indexed questions are searchable."""
        return len(self.rows) - self.dead_rows + (len(self.delta.rows) if self.delta else 0)

    def finish(
        self,
        entries: dict[str, FaqEntry],
        hashes: dict[str, str],
        previous: LangIndex | None = None,
    ) -> None:
        """Build the parts derived from rows and documents: BM25 and centroids.

        Analysed text is reused from ``previous`` for documents whose hash did not change.
        """
        self.doc_keys = sorted({row.key for row in self.rows})
        cache = dict(previous.doc_tokens) if previous is not None else {}
        if previous is not None and previous.delta is not None:
            cache |= previous.delta.doc_tokens
        for key in self.doc_keys:
            cached = cache.get(key)
            if cached is not None and cached[0] == hashes[key]:
                self.doc_tokens[key] = cached
            else:
                self.doc_tokens[key] = (hashes[key], document_terms(entries[key], self.lang))
        corpus = {key: self.doc_tokens[key][1] for key in self.doc_keys}
        self.lexical = SegmentedBM25.build(corpus) if corpus else None
        self.centroids = {}
        if self.faiss_kind == "flat":
            for name, vectors in self.vectors.items():
                self.centroids[name] = make_centroids(self.rows, vectors, self.doc_keys)


@dataclass
class KbIndex:
    """The whole index: manifest, entries and one :class:`LangIndex` per language."""

    manifest: Manifest
    entries: dict[str, FaqEntry]
    langs: dict[str, LangIndex]
    base_version: str = ""  # version of the base segment when a delta is applied on top
    base: KbIndex | None = field(default=None, repr=False)  # that base, without the delta


# ---------------------------------------------------------------- helpers


def entry_rows(entry: FaqEntry, *, index_answers: bool) -> list[tuple[str, str]]:
    """Return the ``(kind, text)`` pairs of a document that go into the index."""
    pairs = [("title", entry.title)] + [("alt", q) for q in entry.alt_questions if q.strip()]
    if index_answers and entry.body.strip():
        pairs.append(("body", f"{entry.title}\n{entry.body[:1000]}"))
    return pairs


def content_version(manifest: Manifest) -> str:
    """Return a hash of the documents and models an index was built from."""
    digest = hashlib.sha256()
    for key in sorted(manifest.docs):
        digest.update(f"{key}={manifest.docs[key]};".encode())
    for name in sorted(manifest.encoders):
        info = manifest.encoders[name]
        digest.update(f"{name}:{info.model}:{info.dim};".encode())
    digest.update(f"{manifest.analyzer};{manifest.index_answers}".encode())
    return digest.hexdigest()[:16]


def make_faiss(vectors: np.ndarray, ids: np.ndarray, *, kind: str, hnsw_m: int = 32) -> faiss.Index:
    """Return an ``IndexIDMap2`` over exact inner product (``flat``) or HNSW."""
    dim = int(vectors.shape[1])
    inner: faiss.Index
    if kind == "hnsw":
        hnsw = faiss.IndexHNSWFlat(dim, hnsw_m, faiss.METRIC_INNER_PRODUCT)
        hnsw.hnsw.efConstruction = 40
        hnsw.hnsw.efSearch = 128
        inner = hnsw
    else:
        inner = faiss.IndexFlatIP(dim)
    index = faiss.IndexIDMap2(inner)
    if len(vectors):
        index.add_with_ids(np.ascontiguousarray(vectors, np.float32), ids.astype(np.int64))
    return index


def document_text(entry: FaqEntry) -> str:
    """Return the text BM25 sees for a document: questions, tags and the answer."""
    return "\n".join([*entry.questions, " ".join(entry.tags), entry.body])


def document_terms(entry: FaqEntry, lang: str) -> list[str]:
    """Return the analysed BM25 terms of a document."""
    return analyze(document_text(entry), lang, mode=ANALYZER) or ["_"]


def make_centroids(rows: list[Row], vectors: np.ndarray, doc_keys: list[str]) -> np.ndarray:
    """Return one normalised mean vector of the question rows per document."""
    order = {key: pos for pos, key in enumerate(doc_keys)}
    picked = [(order[row.key], pos) for pos, row in enumerate(rows) if row.kind != "body"]
    owners, positions = (np.array(x, dtype=np.int64) for x in zip(*picked, strict=True))
    membership = sparse.csr_matrix(
        (np.ones(len(picked), dtype=np.float32), (owners, positions)),
        shape=(len(doc_keys), len(rows)),
    )
    sums = np.asarray(membership @ vectors, dtype=np.float32)
    norms = np.linalg.norm(sums, axis=1, keepdims=True)
    return np.ascontiguousarray(sums / np.maximum(norms, 1e-12), dtype=np.float32)


@contextlib.contextmanager
def index_lock(index_dir: Path, *, shared: bool = False) -> Iterator[None]:
    """Hold a file lock so two processes never write (or read half-written) index files."""
    index_dir.mkdir(parents=True, exist_ok=True)
    with open(index_dir / ".lock", "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_SH if shared else fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _replace(path: Path, write: object) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    write(tmp)  # type: ignore[operator]
    tmp.replace(path)


# ---------------------------------------------------------------- persistence


def save_index(kb: KbIndex, index_dir: Path) -> None:
    """Write every file of the index, the manifest last, then drop the old base's delta."""
    if any(li.delta is not None or li.dead for li in kb.langs.values()):
        raise ValueError("the index has a delta: merge it (segments.merge) or save_delta it")
    index_dir.mkdir(parents=True, exist_ok=True)
    for lang, li in kb.langs.items():
        lang_dir = index_dir / lang
        lang_dir.mkdir(exist_ok=True)
        rows = [row.model_dump() for row in li.rows]
        _replace(lang_dir / "rows.json", lambda p, r=rows: p.write_text(json.dumps(r)))
        for name, vectors in li.vectors.items():
            _replace(lang_dir / f"{name}.npy", lambda p, v=vectors: _save_npy(p, v))
            index = li.faiss_indexes[name]
            _replace(lang_dir / f"{name}.faiss", lambda p, i=index: faiss.write_index(i, str(p)))
    entries = [e.model_dump(mode="json") for e in kb.entries.values()]
    _replace(index_dir / "entries.json", lambda p: p.write_text(json.dumps(entries)))
    manifest = kb.manifest.model_dump_json(indent=1)
    _replace(index_dir / "manifest.json", lambda p: p.write_text(manifest))
    drop_delta_files(index_dir)


def drop_delta_files(index_dir: Path) -> None:
    """Remove a delta written over an older base (it is ignored anyway: tidiness)."""
    (index_dir / DELTA_FILE).unlink(missing_ok=True)
    for stale in index_dir.glob("*/delta-*.npy"):
        stale.unlink(missing_ok=True)


def _save_npy(path: Path, vectors: np.ndarray) -> None:
    with open(path, "wb") as handle:
        np.save(handle, vectors)


def _load_lang(index_dir: Path, lang: str, manifest: Manifest) -> LangIndex:
    info = manifest.langs[lang]
    lang_dir = index_dir / lang
    rows = [Row(**r) for r in json.loads((lang_dir / "rows.json").read_text())]
    li = LangIndex(lang=lang, rows=rows, next_id=info.next_id, faiss_kind=info.faiss_kind)
    for name, enc in manifest.encoders.items():
        vectors = np.load(lang_dir / f"{name}.npy", allow_pickle=False)
        index = faiss.read_index(str(lang_dir / f"{name}.faiss"))
        if vectors.shape != (len(rows), enc.dim) or index.d != enc.dim:
            raise CorruptIndexError(f"{lang}/{name}: vectors do not match rows.json")
        if info.faiss_kind == "flat" and index.ntotal != len(rows):
            raise CorruptIndexError(f"{lang}/{name}.faiss has {index.ntotal} rows, not {len(rows)}")
        li.vectors[name] = vectors
        li.faiss_indexes[name] = index
    return li


def load_index(index_dir: Path) -> KbIndex:
    """Read the index (base and delta) or raise :class:`CorruptIndexError` saying what is wrong."""
    from knowledge_base.segments import attach_saved_delta  # the delta builds on this module

    path = index_dir / "manifest.json"
    if not path.is_file():
        raise CorruptIndexError(f"{path} is missing")
    try:
        manifest = Manifest.model_validate_json(path.read_text())
        if manifest.format != INDEX_FORMAT:
            raise CorruptIndexError(f"index format {manifest.format}, expected {INDEX_FORMAT}")
        raw = json.loads((index_dir / "entries.json").read_text())
        entries = {e.key: e for e in (FaqEntry(**item) for item in raw)}
        langs = {lang: _load_lang(index_dir, lang, manifest) for lang in manifest.langs}
        for li in langs.values():
            li.finish(entries, manifest.docs)
        if set(entries) != set(manifest.docs):
            raise CorruptIndexError(f"{index_dir}/entries.json does not match the manifest")
        return attach_saved_delta(KbIndex(manifest, entries, langs), index_dir)
    except CorruptIndexError:
        raise
    except (OSError, ValueError, ValidationError, RuntimeError, KeyError, TypeError) as exc:
        raise CorruptIndexError(f"{index_dir}: {exc.__class__.__name__}: {exc}") from exc


# ---------------------------------------------------------------- building


@dataclass
class _Plan:
    """Rows kept from the previous build and rows still to embed, for one language."""

    kept: list[Row] = field(default_factory=list)
    sources: list[tuple[int, int]] = field(default_factory=list)
    fresh: list[Row] = field(default_factory=list)


def _plan_lang(
    entries: list[FaqEntry],
    segments: list[LangIndex],
    settings: KbSettings,
    next_id: int,
    *,
    only_these: bool = False,
) -> tuple[_Plan, int]:
    """Reuse the vectors of every (document, kind, text) already embedded; embed the rest.

    ``segments`` are the previous base and delta; a kept row remembers ``(segment, position)``.
    With ``only_these`` only the rows of ``entries``' documents are looked at (a few changed
    documents: the cost does not grow with the base).
    """
    plan = _Plan()
    known: dict[tuple[str, str, str], tuple[int, int]] = {}
    keys = [entry.key for entry in entries]
    for seg_no, segment in enumerate(segments):
        if only_these:
            positions = [pos for key in keys for pos in segment.key_rows.get(key, ())]
        else:
            positions = list(range(len(segment.rows)))
        for pos in positions:
            row = segment.rows[pos]
            known.setdefault((row.key, row.kind, row.text), (seg_no, pos))
    for entry in entries:
        for kind, text in entry_rows(entry, index_answers=settings.index_answers):
            source = known.pop((entry.key, kind, text), None)
            if source is not None:
                plan.kept.append(segments[source[0]].rows[source[1]])
                plan.sources.append(source)
                continue
            plan.fresh.append(Row(row_id=next_id, key=entry.key, text=text, kind=kind))
            next_id += 1
    return plan, next_id


def _gather(plan: _Plan, segments: list[LangIndex], name: str, fresh: np.ndarray) -> np.ndarray:
    """Return the vectors of the planned rows: kept ones copied, fresh ones appended."""
    vectors = np.empty((len(plan.kept) + len(fresh), fresh.shape[1]), dtype=np.float32)
    sources = np.array(plan.sources, dtype=np.int64).reshape(-1, 2)
    for seg_no, segment in enumerate(segments):
        slots = np.flatnonzero(sources[:, 0] == seg_no)
        if len(slots):
            vectors[slots] = segment.vectors[name][sources[slots, 1]]
    vectors[len(plan.kept) :] = fresh
    return vectors


def _faiss_for(
    li: LangIndex, previous: LangIndex | None, name: str, settings: KbSettings
) -> faiss.Index:
    """Return the FAISS index of one signal: the previous one patched by id when possible.

    The previous index is cloned, never changed: a retriever may still be searching it. Flat
    indexes drop removed ids (``remove_ids``); HNSW cannot remove, so a removed row stays in
    the graph as an orphan no row maps to, until orphans pass 30 % and the graph is rebuilt.
    """
    kind = "hnsw" if len(li.rows) > settings.hnsw_threshold else "flat"
    li.faiss_kind = kind
    old = previous.faiss_indexes.get(name) if previous else None
    ids = np.array([r.row_id for r in li.rows], dtype=np.int64)
    if old is None or previous is None or previous.faiss_kind != kind:
        return make_faiss(li.vectors[name], ids, kind=kind, hnsw_m=settings.hnsw_m)
    missing = np.array(
        [pos for pos, row in enumerate(li.rows) if row.row_id not in previous.position],
        dtype=np.int64,
    )
    if kind == "hnsw" and old.ntotal + len(missing) > 1.3 * len(li.rows):
        return make_faiss(li.vectors[name], ids, kind=kind, hnsw_m=settings.hnsw_m)
    index = faiss.clone_index(old)
    if kind == "flat":
        gone = [rid for rid in previous.position if rid not in li.position]
        if gone:
            index.remove_ids(faiss.IDSelectorBatch(np.array(gone, dtype=np.int64)))
    if len(missing):
        index.add_with_ids(np.ascontiguousarray(li.vectors[name][missing]), ids[missing])
    return index


def _build_lang(
    lang: str,
    entries: list[FaqEntry],
    hashes: dict[str, str],
    previous: KbIndex | None,
    encoders: dict[str, Encoder],
    settings: KbSettings,
) -> tuple[LangIndex, int, int]:
    prev_lang = previous.langs.get(lang) if previous else None
    segments = [seg for seg, _dead in prev_lang.segments()] if prev_lang else []
    start_id = prev_lang.next_id if prev_lang else 0
    plan, next_id = _plan_lang(entries, segments, settings, start_id)
    li = LangIndex(lang=lang, rows=plan.kept + plan.fresh, next_id=next_id)
    texts = [row.text for row in plan.fresh]
    for name, encoder in encoders.items():
        fresh_vectors = encoder.encode(texts) if texts else np.zeros((0, encoder.dim), np.float32)
        li.vectors[name] = _gather(plan, segments, name, fresh_vectors)
        li.faiss_indexes[name] = _faiss_for(li, prev_lang, name, settings)
    li.finish({e.key: e for e in entries}, hashes, prev_lang)
    return li, len(plan.fresh), len(plan.kept)


def _compatible(previous: KbIndex, encoders: dict[str, Encoder], settings: KbSettings) -> str:
    """Return why the previous index cannot be reused ('' when it can)."""
    wanted = {name: EncoderInfo(model=e.model, dim=e.dim) for name, e in encoders.items()}
    if previous.manifest.encoders != wanted:
        return "the embedding models changed"
    if previous.manifest.index_answers != settings.index_answers:
        return "KB_INDEX_ANSWERS changed"
    if previous.manifest.analyzer != ANALYZER:
        return "the text analyser changed"
    return ""


def load_previous(settings: KbSettings, encoders: dict[str, Encoder]) -> tuple[KbIndex | None, str]:
    """Return the reusable previous index, or ``None`` and the reason for a full rebuild."""
    try:
        previous = load_index(settings.index_dir)
    except CorruptIndexError as exc:
        if (settings.index_dir / "manifest.json").exists():
            log.warning("kb index unreadable, rebuilding from scratch: %s", exc)
            return None, f"index unreadable ({exc})"
        return None, "no index yet"
    reason = _compatible(previous, encoders, settings)
    if reason:
        log.warning("kb index rebuilt from scratch: %s", reason)
        return None, reason
    return previous, ""


def _dedupe(entries: list[FaqEntry]) -> list[FaqEntry]:
    """Keep the first document of each ``lang/id`` (the linter reports the others)."""
    seen: dict[str, FaqEntry] = {}
    for entry in entries:
        seen.setdefault(entry.key, entry)
    return list(seen.values())


def update_index(
    entries: list[FaqEntry],
    encoders: dict[str, Encoder],
    settings: KbSettings,
    previous: KbIndex | None,
) -> tuple[KbIndex, BuildReport]:
    """Return a new in-memory index that re-embeds only documents that changed."""
    started = time.perf_counter()
    entries = _dedupe(entries)
    langs = sorted({e.lang for e in entries} | set(settings.languages))
    manifest = Manifest(
        index_answers=settings.index_answers,
        encoders={n: EncoderInfo(model=e.model, dim=e.dim) for n, e in encoders.items()},
        docs={e.key: e.content_hash() for e in entries},
        built_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    )
    lang_indexes: dict[str, LangIndex] = {}
    embedded = reused = 0
    for lang in langs:
        in_lang = [e for e in entries if e.lang == lang]
        li, fresh, kept = _build_lang(lang, in_lang, manifest.docs, previous, encoders, settings)
        lang_indexes[lang] = li
        manifest.langs[lang] = LangInfo(
            rows=len(li.rows), next_id=li.next_id, faiss_kind=li.faiss_kind
        )
        embedded, reused = embedded + fresh, reused + kept
    manifest.version = content_version(manifest)
    old_docs = previous.manifest.docs if previous else {}
    report = BuildReport(
        version=manifest.version,
        documents=len(entries),
        rows=sum(len(li.rows) for li in lang_indexes.values()),
        embedded_rows=embedded,
        reused_rows=reused,
        changed=sorted(k for k, h in manifest.docs.items() if old_docs.get(k) != h),
        removed=sorted(set(old_docs) - set(manifest.docs)),
        full_rebuild=previous is None,
        seconds=round(time.perf_counter() - started, 3),
    )
    kb = KbIndex(manifest=manifest, entries={e.key: e for e in entries}, langs=lang_indexes)
    return kb, report
