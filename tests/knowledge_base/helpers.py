"""Shared helpers of the knowledge-base tests: one set of real encoders per test session."""

from __future__ import annotations

import shutil
from functools import lru_cache
from pathlib import Path

import numpy as np

from knowledge_base import Encoder, KbSettings, load_encoders

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE_DOCS = ROOT / "knowledge_base" / "docs"
EVAL_SET = ROOT / "tests" / "data" / "faq_eval.jsonl"
TOPICS = (
    "opening_hours",
    "office_location",
    "agency_fee_buy",
    "agency_fee_rent",
    "pets_allowed",
    "deposit_rent",
    "mortgage_help",
    "parking",
)


@lru_cache
def shared_encoders() -> dict[str, Encoder]:
    """Load the real default encoders once for the whole test session."""
    return load_encoders(KbSettings())


class CountingEncoder:
    """Wraps a real encoder and counts the sentences it embeds."""

    def __init__(self, inner: Encoder) -> None:
        self.inner = inner
        self.name, self.model, self.dim = inner.name, inner.model, inner.dim
        self.sentences = 0

    def encode(self, texts: list[str]) -> np.ndarray:
        self.sentences += len(texts)
        return self.inner.encode(texts)


def counting(encoders: dict[str, Encoder]) -> dict[str, CountingEncoder]:
    """Wrap every encoder in a :class:`CountingEncoder`."""
    return {name: CountingEncoder(enc) for name, enc in encoders.items()}


def all_topics() -> tuple[str, ...]:
    """Return every topic id of the example base."""
    return tuple(sorted(p.stem for p in (EXAMPLE_DOCS / "en").glob("*.md")))


def copy_docs(target: Path, topics: tuple[str, ...] = TOPICS) -> Path:
    """Copy some example documents (both languages) into ``target``; return the docs dir."""
    for lang in ("it", "en"):
        (target / lang).mkdir(parents=True, exist_ok=True)
        for topic in topics:
            shutil.copy(EXAMPLE_DOCS / lang / f"{topic}.md", target / lang / f"{topic}.md")
    return target


def make_settings(tmp: Path, topics: tuple[str, ...] = TOPICS, **overrides: object) -> KbSettings:
    """Settings over a copy of some example documents and a fresh index directory.

    The calibrated threshold assumes a base like the example one (30 topics): tests of the
    answer-or-abstain decision use every topic (``all_topics()``).
    """
    docs = copy_docs(tmp / "docs", topics)
    return KbSettings(docs_dir=docs, index_dir=tmp / "index", **overrides)
