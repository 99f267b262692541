"""The entry points: build the index, load a retriever, search."""

from __future__ import annotations

import logging
import time

from knowledge_base.config import KbSettings, get_settings
from knowledge_base.documents import load_documents
from knowledge_base.encoders import Encoder, load_encoders
from knowledge_base.index import (
    KbIndex,
    index_lock,
    load_previous,
    save_index,
    update_index,
)
from knowledge_base.models import BuildReport, FaqEntry, SearchHit
from knowledge_base.retriever import HybridRetriever

log = logging.getLogger(__name__)


def _is_current(previous: KbIndex | None, entries: list[FaqEntry]) -> bool:
    if previous is None:
        return False
    current = {e.key: e.content_hash() for e in entries}
    return previous.manifest.docs == current


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
            rows=sum(len(li.rows) for li in previous.langs.values()),
            embedded_rows=0,
            reused_rows=sum(len(li.rows) for li in previous.langs.values()),
            reason="up to date",
        )
        return previous, report
    kb, report = update_index(entries, encoders, settings, previous)
    report.reason = reason or "documents changed"
    save_index(kb, settings.index_dir)
    log.info(
        "kb index built: version=%s embedded=%d reused=%d (%s)",
        report.version,
        report.embedded_rows,
        report.reused_rows,
        report.reason,
    )
    return kb, report


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
