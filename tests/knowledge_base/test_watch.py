from __future__ import annotations

import sys
import threading
import time

import pytest

from knowledge_base import BuildReport, KbSettings, build_index, watch_and_rebuild


@pytest.fixture
def no_watchfiles(monkeypatch):  # noqa: ANN001, ANN201
    """Exercise the polling fallback even where watchfiles is installed."""
    monkeypatch.setitem(sys.modules, "watchfiles", None)


def test_watcher_rebuilds_after_a_change(
    kb_settings: KbSettings,
    encoders,
    no_watchfiles,  # noqa: ANN001
) -> None:
    build_index(kb_settings, encoders=encoders)
    reports: list[BuildReport] = []
    stop = threading.Event()
    thread = threading.Thread(
        target=watch_and_rebuild,
        args=(kb_settings, reports.append),
        kwargs={"stop": stop, "encoders": encoders, "interval": 0.2},
        daemon=True,
    )
    thread.start()
    try:
        time.sleep(0.5)
        path = kb_settings.docs_dir / "en" / "parking.md"
        path.write_text(path.read_text(encoding="utf-8").replace("5-minute", "4-minute"), "utf-8")
        deadline = time.monotonic() + 10
        while not reports and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        stop.set()
        thread.join(timeout=5)
    assert reports and reports[0].changed == ["en/parking"]
    assert not thread.is_alive()
