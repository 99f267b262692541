"""Development file watcher: rebuild the index when a document changes."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path

from knowledge_base.config import KbSettings
from knowledge_base.documents import iter_document_paths
from knowledge_base.encoders import Encoder
from knowledge_base.models import BuildReport
from knowledge_base.service import build_index

log = logging.getLogger(__name__)


def _snapshot(docs_dir: Path) -> dict[str, tuple[int, int]]:
    snapshot = {}
    for path in iter_document_paths(docs_dir):
        try:
            stat = path.stat()
        except OSError:
            continue
        snapshot[str(path)] = (stat.st_mtime_ns, stat.st_size)
    return snapshot


def _changes_polling(docs_dir: Path, stop: threading.Event, interval: float):  # noqa: ANN202
    before = _snapshot(docs_dir)
    while not stop.wait(interval):
        now = _snapshot(docs_dir)
        if now != before:
            before = now
            yield


def _changes(docs_dir: Path, stop: threading.Event, interval: float):  # noqa: ANN202
    try:
        import watchfiles
    except ImportError:
        yield from _changes_polling(docs_dir, stop, interval)
        return
    docs_dir.mkdir(parents=True, exist_ok=True)
    for _batch in watchfiles.watch(docs_dir, stop_event=stop, debounce=300, yield_on_timeout=False):
        yield


def watch_and_rebuild(
    settings: KbSettings,
    on_change: Callable[[BuildReport], None],
    *,
    stop: threading.Event | None = None,
    encoders: dict[str, Encoder] | None = None,
    interval: float = 1.0,
) -> None:
    """Block, rebuilding the index after each change under ``settings.docs_dir``.

    Uses ``watchfiles`` when installed, else polls every ``interval`` seconds. ``on_change``
    receives each build report (the hub bumps the Redis version there). Set ``stop`` to end.
    """
    from knowledge_base.encoders import load_encoders

    stop = stop or threading.Event()
    encoders = encoders if encoders is not None else load_encoders(settings)
    for _ in _changes(settings.docs_dir, stop, interval):
        started = time.perf_counter()
        try:
            report = build_index(settings, encoders=encoders)
        except Exception:  # noqa: BLE001 - a bad save must not kill the watcher
            log.exception("kb rebuild after a document change failed")
            continue
        if report.changed or report.removed:
            log.info("kb rebuilt in %.2fs: %s", time.perf_counter() - started, report.changed)
            on_change(report)
