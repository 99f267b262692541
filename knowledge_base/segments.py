"""Changing a few documents without rebuilding: a delta segment over the base, saved on its own.

A change to one document never touches the large base segment, in memory or on disk:

* its new questions (embedded, or their vectors reused when the text did not change) go into a
  small *delta* segment per language with its own exact FAISS index;
* the base rows of the document it replaces, or of a removed document, become tombstones
  (``LangIndex.dead``), skipped at search time (searches over-fetch by the number of dead
  rows, so exact search still returns the true top-k);
* BM25 is updated in place of a rebuild, with exact live statistics (:mod:`.lexical`);
* on disk only ``delta.json`` and the delta vectors are rewritten (the manifest, entries,
  vectors and FAISS files of the base stay as they are). ``delta.json`` names the base version
  it applies to, so a delta left over from an older base is ignored.

Everything is copy-on-write: :func:`apply_changes` returns a new :class:`KbIndex` sharing the
base with the old one, which retrievers may still be searching. When the delta grows past
``KB_DELTA_MAX_DOCS`` documents, :func:`persist` merges it into a new base (no document is
embedded again; FAISS is patched by id, see ``index._faiss_for``).
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import json
import logging
import re
import time
from pathlib import Path

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from knowledge_base.config import KbSettings
from knowledge_base.encoders import Encoder
from knowledge_base.index import (
    DELTA_FILE,
    INDEX_FORMAT,
    CorruptIndexError,
    KbIndex,
    LangIndex,
    LangInfo,
    Row,
    _dedupe,
    _gather,
    _Plan,
    _plan_lang,
    _replace,
    _save_npy,
    document_terms,
    make_centroids,
    make_faiss,
    save_index,
    update_index,
)
from knowledge_base.lexical import SegmentedBM25
from knowledge_base.models import BuildReport, FaqEntry

log = logging.getLogger(__name__)


class DeltaLang(BaseModel):
    """The delta of one language: its rows and the base documents it replaces or removes."""

    model_config = ConfigDict(extra="forbid")

    rows: list[Row] = Field(default_factory=list)
    dead: list[str] = Field(default_factory=list)
    next_id: int = 0


class DeltaFile(BaseModel):
    """``delta.json``: what changed since the base was written, and which base that is."""

    model_config = ConfigDict(extra="forbid")

    format: int = INDEX_FORMAT
    base_version: str
    version: str
    entries: list[FaqEntry] = Field(default_factory=list)
    langs: dict[str, DeltaLang] = Field(default_factory=dict)


# ---------------------------------------------------------------- in memory


def delta_version(base_version: str, langs: dict[str, LangIndex], docs: dict[str, str]) -> str:
    """Return the content version of a base plus its deltas (the base's when nothing changed)."""
    changed = sorted(
        {key for li in langs.values() for key in li.dead}
        | {key for li in langs.values() if li.delta for key in li.delta.doc_keys}
    )
    if not changed:
        return base_version
    digest = hashlib.sha256(base_version.encode())
    for key in changed:
        digest.update(f"{key}={docs.get(key, '-')};".encode())
    return digest.hexdigest()[:16]


def _with_delta(
    li: LangIndex,
    *,
    rows: list[Row],
    vectors: dict[str, np.ndarray],
    dead: frozenset[str],
    upserts: list[FaqEntry],
    removed: list[str],
    next_id: int,
) -> LangIndex:
    """Return a snapshot of ``li`` (sharing its base) with this delta and these tombstones."""
    snapshot = copy.copy(li)
    snapshot.next_id = max(next_id, li.next_id)
    snapshot.dead = dead
    snapshot.dead_rows = sum(len(li.key_rows.get(key, ())) for key in dead)
    terms = {e.key: document_terms(e, li.lang) for e in upserts}
    lexical = li.lexical or SegmentedBM25.build({})
    snapshot.lexical = lexical.with_changes(terms, removed)
    snapshot.delta = _delta_segment(li, rows, vectors) if rows else None
    if snapshot.delta is not None:  # analysed text of the delta's documents (BM25 cache)
        kept = li.delta.doc_tokens if li.delta is not None else {}
        snapshot.delta.doc_tokens = {
            key: kept[key] for key in snapshot.delta.doc_keys if key in kept and key not in terms
        }
        for entry in upserts:
            snapshot.delta.doc_tokens[entry.key] = (entry.content_hash(), terms[entry.key])
    return snapshot


def _delta_segment(li: LangIndex, rows: list[Row], vectors: dict[str, np.ndarray]) -> LangIndex:
    """Return the small exact-search segment of the changed documents."""
    delta = LangIndex(lang=li.lang, rows=rows)
    ids = np.array([row.row_id for row in rows], dtype=np.int64)
    delta.doc_keys = sorted({row.key for row in rows})
    for name, matrix in vectors.items():
        delta.vectors[name] = matrix
        delta.faiss_indexes[name] = make_faiss(matrix, ids, kind="flat")
        if li.faiss_kind == "flat":  # same as a rebuild: centroids only in exact mode
            delta.centroids[name] = make_centroids(rows, matrix, delta.doc_keys)
    return delta


def _lang_changes(
    li: LangIndex,
    upserts: list[FaqEntry],
    removed: list[str],
    encoders: dict[str, Encoder],
    settings: KbSettings,
) -> tuple[LangIndex, int, int]:
    """Return ``li`` with documents replaced or removed, embedding only new question texts."""
    changed = {e.key for e in upserts} | set(removed)
    segments = [segment for segment, _dead in li.segments()]
    plan = _Plan()
    if li.delta is not None:  # untouched documents of the previous delta stay as they are
        for pos, row in enumerate(li.delta.rows):
            if row.key not in changed:
                plan.kept.append(row)
                plan.sources.append((1, pos))
    planned, next_id = _plan_lang(upserts, segments, settings, li.next_id, only_these=True)
    plan.kept += planned.kept
    plan.sources += planned.sources
    plan.fresh = planned.fresh
    texts = [row.text for row in plan.fresh]
    vectors = {
        name: _gather(plan, segments, name, encoder.encode(texts) if texts else _empty(encoder))
        for name, encoder in encoders.items()
    }
    dead = li.dead | frozenset(key for key in changed if key in li.key_rows)
    snapshot = _with_delta(
        li,
        rows=plan.kept + plan.fresh,
        vectors=vectors,
        dead=dead,
        upserts=upserts,
        removed=removed,
        next_id=next_id,
    )
    return snapshot, len(plan.fresh), len(planned.kept)


def _empty(encoder: Encoder) -> np.ndarray:
    return np.zeros((0, encoder.dim), dtype=np.float32)


def apply_changes(
    kb: KbIndex,
    upserts: list[FaqEntry],
    removed: list[str],
    encoders: dict[str, Encoder],
    settings: KbSettings,
) -> tuple[KbIndex, BuildReport]:
    """Return a new index with these documents added, replaced or removed (``kb`` unchanged).

    Only the changed documents are analysed and only their new question texts embedded; the
    cost does not depend on the size of the base.
    """
    started = time.perf_counter()
    upserts = [e for e in _dedupe(upserts) if kb.manifest.docs.get(e.key) != e.content_hash()]
    gone = sorted((set(removed) & set(kb.entries)) - {e.key for e in upserts})
    entries, docs = dict(kb.entries), dict(kb.manifest.docs)
    for key in gone:
        entries.pop(key)
        docs.pop(key)
    for entry in upserts:
        entries[entry.key] = entry
        docs[entry.key] = entry.content_hash()
    langs, infos = dict(kb.langs), dict(kb.manifest.langs)
    embedded = reused = 0
    for lang in sorted({e.lang for e in upserts} | {key.split("/", 1)[0] for key in gone}):
        li = langs.get(lang) or LangIndex(lang=lang)
        in_lang = [e for e in upserts if e.lang == lang]
        dropped = [key for key in gone if key.startswith(f"{lang}/")]
        langs[lang], fresh, kept = _lang_changes(li, in_lang, dropped, encoders, settings)
        infos[lang] = LangInfo(
            rows=langs[lang].live_rows, next_id=langs[lang].next_id, faiss_kind=li.faiss_kind
        )
        embedded, reused = embedded + fresh, reused + kept
    base_version = kb.base_version or kb.manifest.version
    manifest = kb.manifest.model_copy(
        update={
            "docs": docs,
            "langs": infos,
            "version": delta_version(base_version, langs, docs),
            "built_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        }
    )
    new_kb = KbIndex(
        manifest=manifest,
        entries=entries,
        langs=langs,
        base_version=base_version,
        base=kb.base if kb.base is not None else kb,
    )
    report = BuildReport(
        version=manifest.version,
        documents=len(entries),
        rows=sum(li.live_rows for li in langs.values()),
        embedded_rows=embedded,
        reused_rows=reused,
        changed=sorted(e.key for e in upserts),
        removed=gone,
        reason="documents changed" if upserts or gone else "up to date",
        seconds=round(time.perf_counter() - started, 3),
    )
    return new_kb, report


def has_delta(kb: KbIndex) -> bool:
    """Return True when some documents live outside the base segment."""
    return any(li.delta is not None or li.dead for li in kb.langs.values())


def is_merge_due(kb: KbIndex, settings: KbSettings) -> bool:
    """Return True when a language's delta has outgrown ``KB_DELTA_MAX_DOCS``."""
    return any(
        li.lexical is not None and li.lexical.delta_size > settings.delta_max_docs
        for li in kb.langs.values()
    )


def merge(kb: KbIndex, encoders: dict[str, Encoder], settings: KbSettings) -> KbIndex:
    """Return the same documents with every delta folded into a new base (nothing re-embedded)."""
    merged, report = update_index(list(kb.entries.values()), encoders, settings, kb)
    log.info("kb delta merged into the base in %.2f s", report.seconds)
    return merged


# ---------------------------------------------------------------- on disk


def persist(
    kb: KbIndex, index_dir: Path, encoders: dict[str, Encoder], settings: KbSettings
) -> KbIndex:
    """Write ``kb``: only its delta when the base on disk is its base, else (merged) in full.

    Returns the index as written (merged when the delta was due for a merge).
    """
    if has_delta(kb) and is_merge_due(kb, settings):
        kb = merge(kb, encoders, settings)
    if has_delta(kb) and disk_base_version(index_dir) == kb.base_version:
        save_delta(kb, index_dir)
    else:
        if has_delta(kb):
            kb = merge(kb, encoders, settings)
        save_index(kb, index_dir)
    return kb


_VERSION_FIELD = re.compile(r'"version":\s*"([0-9a-f]*)"')


def disk_base_version(index_dir: Path) -> str | None:
    """Return the base's version from the head of ``manifest.json`` (it is written second)."""
    try:
        with open(index_dir / "manifest.json", encoding="utf-8") as handle:
            head = handle.read(512)
        found = _VERSION_FIELD.search(head)
        if found:
            return found.group(1)
        return str(json.loads((index_dir / "manifest.json").read_text())["version"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def disk_version(index_dir: Path) -> str | None:
    """Return the content version on disk (base plus its delta), ``None`` when unreadable."""
    base = disk_base_version(index_dir)
    try:
        delta = json.loads((index_dir / DELTA_FILE).read_text())
    except (OSError, ValueError):
        return base
    return str(delta.get("version")) if delta.get("base_version") == base else base


def _vectors_path(index_dir: Path, lang: str, version: str, name: str) -> Path:
    return index_dir / lang / f"delta-{version}-{name}.npy"


def save_delta(kb: KbIndex, index_dir: Path) -> None:
    """Write the delta vectors, then ``delta.json`` (which commits them), then tidy up."""
    version = kb.manifest.version
    delta = DeltaFile(base_version=kb.base_version, version=version)
    for lang, li in kb.langs.items():
        if li.delta is None and not li.dead:
            continue
        (index_dir / lang).mkdir(parents=True, exist_ok=True)
        rows = li.delta.rows if li.delta else []
        for name, vectors in (li.delta.vectors if li.delta else {}).items():
            path = _vectors_path(index_dir, lang, version, name)
            _replace(path, lambda p, v=vectors: _save_npy(p, v))
        delta.langs[lang] = DeltaLang(rows=rows, dead=sorted(li.dead), next_id=li.next_id)
        if li.delta is not None:
            delta.entries += [kb.entries[key] for key in li.delta.doc_keys]
    _replace(index_dir / DELTA_FILE, lambda p: p.write_text(delta.model_dump_json()))
    for stale in index_dir.glob("*/delta-*.npy"):
        if not stale.name.startswith(f"delta-{version}-"):
            stale.unlink(missing_ok=True)


def attach_saved_delta(kb: KbIndex, index_dir: Path) -> KbIndex:
    """Return ``kb`` (a base just loaded) with the delta saved next to it, if it belongs to it."""
    path = index_dir / DELTA_FILE
    if not path.is_file():
        return kb
    delta = DeltaFile.model_validate_json(path.read_text())
    if delta.base_version != kb.manifest.version:
        log.warning("kb delta of another base ignored (%s)", path)
        return kb
    entries, docs = dict(kb.entries), dict(kb.manifest.docs)
    langs, infos = dict(kb.langs), dict(kb.manifest.langs)
    for lang, part in delta.langs.items():
        upserts = [e for e in delta.entries if e.lang == lang]
        keys = {e.key for e in upserts}
        removed = [key for key in part.dead if key not in keys]
        for key in part.dead:
            entries.pop(key, None)
            docs.pop(key, None)
        for entry in upserts:
            entries[entry.key], docs[entry.key] = entry, entry.content_hash()
        li = langs.get(lang) or LangIndex(lang=lang)
        vectors = _load_vectors(index_dir, lang, delta.version, part.rows, kb)
        langs[lang] = _with_delta(
            li,
            rows=part.rows,
            vectors=vectors,
            dead=frozenset(part.dead),
            upserts=upserts,
            removed=removed,
            next_id=part.next_id,
        )
        infos[lang] = LangInfo(
            rows=langs[lang].live_rows, next_id=langs[lang].next_id, faiss_kind=li.faiss_kind
        )
    manifest = kb.manifest.model_copy(
        update={"docs": docs, "langs": infos, "version": delta.version}
    )
    base_version = kb.manifest.version
    return KbIndex(
        manifest=manifest, entries=entries, langs=langs, base_version=base_version, base=kb
    )


def _load_vectors(
    index_dir: Path, lang: str, version: str, rows: list[Row], kb: KbIndex
) -> dict[str, np.ndarray]:
    vectors: dict[str, np.ndarray] = {}
    if not rows:
        return vectors
    for name, info in kb.manifest.encoders.items():
        matrix = np.load(_vectors_path(index_dir, lang, version, name), allow_pickle=False)
        if matrix.shape != (len(rows), info.dim):
            raise CorruptIndexError(f"{lang}/delta {name}: vectors do not match delta.json")
        vectors[name] = matrix
    return vectors
