"""Fixtures for the facts tests: a fixed message time."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

ROME = ZoneInfo("Europe/Rome")
NOW = datetime(2026, 3, 2, 10, 15, tzinfo=ROME)  # a Monday


@pytest.fixture
def now() -> datetime:
    return NOW
