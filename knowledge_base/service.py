"""The entry points: build the index, load a retriever, search."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence

from knowledge_base.config import KbSettings, get_settings
from knowledge_base.documents import load_documents
from knowledge_base.encoders import Encoder, load_encoders
from knowledge_base.index import (
    CorruptIndexError,
    KbIndex,
    index_lock,
    load_previous,
    save_index,
    update_index,
)
from knowledge_base.models import BuildReport, FaqEntry, SearchHit
from knowledge_base.retriever import HybridRetriever
from knowledge_base.segments import (
    apply_changes,
    attach_saved_delta,
    disk_base_version,
    disk_version,
    has_delta,
    persist,
)

log = logging.getLogger(__name__)


def _is_current(previous: KbIndex | None, entries: list[FaqEntry]) -> bool:
    if previous is None:
        return False
    current = {e.key: e.content_hash() for e in entries}
    return previous.manifest.docs == current


def _diff(previous: KbIndex, entries: list[FaqEntry]) -> tuple[list[FaqEntry], list[str]]:
    """Return the documents that are new or changed, and the keys that are gone."""
    known = previous.manifest.docs
    changed = [e for e in entries if known.get(e.key) != e.content_hash()]
    present = {e.key for e in entries}
    return changed, sorted(key for key in known if key not in present)


def _build_locked(
    settings: KbSettings, entries: list[FaqEntry] | None, encoders: dict[str, Encoder]
) -> tuple[KbIndex, BuildReport]:
    if entries is None:
        entries, _issues = load_documents(settings.docs_dir)
    previous, reason = load_previous(settings, encoders)
    if previous is not None and _is_current(previous, entries):
        report = BuildReport(
            version=previous.manifest.version,
            documents=len(previous.entries),
            rows=sum(li.live_rows for li in previous.langs.values()),
            embedded_rows=0,
            reused_rows=sum(li.live_rows for li in previous.langs.values()),
            reason="up to date",
        )
        return previous, report
    if previous is not None:
        changed, removed = _diff(previous, entries)
        if len(changed) + len(removed) <= settings.delta_max_docs:
            return _apply_locked(settings, previous, changed, removed, encoders)
    kb, report = update_index(entries, encoders, settings, previous)
    report.reason = reason or "documents changed"
    save_index(kb, settings.index_dir)
    _log_build(report)
    return kb, report


def _apply_locked(
    settings: KbSettings,
    previous: KbIndex,
    upserts: list[FaqEntry],
    removed: list[str],
    encoders: dict[str, Encoder],
) -> tuple[KbIndex, BuildReport]:
    """Apply a few changes as a delta segment and write only the delta (or merge when due)."""
    started = time.perf_counter()
    kb, report = apply_changes(previous, upserts, removed, encoders, settings)
    if kb is not previous:
        kb = persist(kb, settings.index_dir, encoders, settings)
        report.version = kb.manifest.version
    report.seconds = round(time.perf_counter() - started, 3)
    _log_build(report)
    return kb, report


def _log_build(report: BuildReport) -> None:
    log.info(
        "kb index built: version=%s embedded=%d reused=%d in %.3f s (%s)",
        report.version,
        report.embedded_rows,
        report.reused_rows,
        report.seconds,
        report.reason,
    )


def update_documents(
    retriever: HybridRetriever,
    upserts: list[FaqEntry],
    removed: Sequence[str] = (),
) -> tuple[HybridRetriever, BuildReport]:
    """Publish a few changed documents from a live retriever, in time independent of the base.

    The editor API knows which document it saved: this skips reading every file and loading
    the index from disk. When the index on disk is not the one ``retriever`` holds (another
    process changed it), the changes are applied to what is on disk instead.
    """
    settings, encoders = retriever.settings, retriever.encoders
    with index_lock(settings.index_dir):
        kb = retriever.kb
        if disk_version(settings.index_dir) != kb.manifest.version:
            previous, _reason = load_previous(settings, encoders)
            if previous is None:
                kb, report = _build_locked(settings, None, encoders)
                return HybridRetriever(kb, encoders, settings), report
            kb = previous
        kb, report = _apply_locked(settings, kb, list(upserts), list(removed), encoders)
    return HybridRetriever(kb, encoders, settings), report


def build_index(
    settings: KbSettings | None = None,
    *,
    entries: list[FaqEntry] | None = None,
    encoders: dict[str, Encoder] | None = None,
) -> BuildReport:
    """Bring the index under ``settings.index_dir`` up to date with the documents.

    Only documents whose content hash changed are embedded again; a missing or corrupt index
    is rebuilt from scratch with a log line.
    """
    settings = settings or get_settings()
    encoders = encoders if encoders is not None else load_encoders(settings)
    with index_lock(settings.index_dir):
        _kb, report = _build_locked(settings, entries, encoders)
    return report


def load_retriever(
    settings: KbSettings | None = None,
    *,
    encoders: dict[str, Encoder] | None = None,
) -> HybridRetriever:
    """Return a retriever over the current documents, building what is missing or stale."""
    settings = settings or get_settings()
    encoders = encoders if encoders is not None else load_encoders(settings)
    with index_lock(settings.index_dir):
        kb, _report = _build_locked(settings, None, encoders)
    return HybridRetriever(kb, encoders, settings)


def refresh_retriever(retriever: HybridRetriever) -> HybridRetriever:
    """Return a retriever over the index on disk, reading only its delta when it can.

    A reader (an action server after a ``kb:version`` bump) whose base segment is still the one
    on disk loads just ``delta.json`` and its vectors instead of every document and the whole
    index; anything else (a merge wrote a new base, an unreadable delta) is a full
    :func:`load_retriever`.
    """
    settings, encoders, kb = retriever.settings, retriever.encoders, retriever.kb
    base = kb.base if kb.base is not None else kb
    with index_lock(settings.index_dir, shared=True):
        version = disk_version(settings.index_dir)
        if version == kb.manifest.version:
            return retriever
        if not has_delta(base) and disk_base_version(settings.index_dir) == base.manifest.version:
            try:
                fresh = attach_saved_delta(base, settings.index_dir)
            except (CorruptIndexError, OSError, ValueError) as exc:
                log.warning("kb delta unreadable, loading everything: %s", exc)
            else:
                if fresh.manifest.version == version:
                    return HybridRetriever(fresh, encoders, settings)
    return load_retriever(settings, encoders=encoders)


def search(
    retriever: HybridRetriever, query: str, lang: str, k: int | None = None
) -> list[SearchHit]:
    """Return the top-k topics for ``query`` in ``lang`` (see :meth:`HybridRetriever.search`)."""
    return retriever.search(query, lang, k)


def version_value(version: str) -> str:
    """Return the value to store in the Redis version key: content version and bump time.

    The time part makes every bump visible, so ``reload`` always reaches every process.
    """
    return f"{version}:{time.time_ns() // 1_000_000}"
