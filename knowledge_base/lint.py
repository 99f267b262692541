"""Checks an editor runs before publishing: schema, translations, duplicates, contradictions."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import numpy as np

from knowledge_base.config import KbSettings, get_settings
from knowledge_base.documents import load_documents
from knowledge_base.encoders import Encoder
from knowledge_base.models import FaqEntry, LintIssue, LintReport, Severity
from knowledge_base.text import fold


def _issue(entry: FaqEntry, severity: Severity, code: str, message: str) -> LintIssue:
    return LintIssue(
        severity=severity,
        code=code,
        message=message,
        path=entry.path,
        line=entry.line,
        doc_id=entry.id,
        lang=entry.lang,
    )


def _check_body(entry: FaqEntry, max_chars: int) -> list[LintIssue]:
    if not entry.body.strip():
        return [_issue(entry, Severity.ERROR, "empty-answer", "the answer (body) is empty")]
    if len(entry.body) > max_chars:
        message = f"the answer has {len(entry.body)} characters; WhatsApp allows {max_chars}"
        return [_issue(entry, Severity.ERROR, "too-long", message)]
    return []


def _check_location(entry: FaqEntry) -> list[LintIssue]:
    path = Path(entry.path)
    if not entry.path or (path.stem == entry.id and path.parent.name == entry.lang):
        return []
    message = f"expected the file at {entry.lang}/{entry.id}.md (the editor API writes there)"
    return [_issue(entry, Severity.WARNING, "location", message)]


def _check_ids(entries: list[FaqEntry]) -> list[LintIssue]:
    first: dict[str, FaqEntry] = {}
    issues = []
    for entry in entries:
        if entry.key in first:
            other = first[entry.key]
            message = f"id '{entry.id}' ({entry.lang}) is also used by {other.path}:{other.line}"
            issues.append(_issue(entry, Severity.ERROR, "duplicate-id", message))
        else:
            first[entry.key] = entry
    return issues


def _check_translations(entries: list[FaqEntry], languages: tuple[str, ...]) -> list[LintIssue]:
    by_id: dict[str, dict[str, FaqEntry]] = defaultdict(dict)
    for entry in entries:
        by_id[entry.id].setdefault(entry.lang, entry)
    issues = []
    for versions in by_id.values():
        present = next(iter(versions.values()))
        for lang in languages:
            if lang not in versions:
                message = f"no '{lang}' translation of '{present.id}' (add {lang}/{present.id}.md)"
                issues.append(_issue(present, Severity.WARNING, "missing-translation", message))
    return issues


def _check_same_questions(entries: list[FaqEntry]) -> list[LintIssue]:
    owner: dict[tuple[str, str], FaqEntry] = {}
    issues = []
    for entry in entries:
        for question in entry.questions:
            norm = (entry.lang, " ".join(fold(question).split()).strip(" ?!."))
            other = owner.setdefault(norm, entry)
            if other.id != entry.id:
                message = f"question '{question}' is also in '{other.id}' ({other.path})"
                issues.append(_issue(entry, Severity.WARNING, "same-question", message))
    return issues


def _pairs_above(vectors: np.ndarray, owners: list[int], threshold: float) -> dict:
    sims = vectors @ vectors.T
    found: dict[tuple[int, int], float] = {}
    rows, cols = np.nonzero(np.triu(sims, k=1) >= threshold)
    for i, j in zip(rows.tolist(), cols.tolist(), strict=True):
        a, b = owners[i], owners[j]
        if a != b:
            pair = (min(a, b), max(a, b))
            found[pair] = max(found.get(pair, 0.0), float(sims[i, j]))
    return found


def _check_near_duplicates(
    entries: list[FaqEntry], encoder: Encoder, threshold: float
) -> list[LintIssue]:
    issues = []
    for lang in sorted({e.lang for e in entries}):
        docs = [e for e in entries if e.lang == lang]
        texts, owners = [], []
        for pos, entry in enumerate(docs):
            texts += entry.questions
            owners += [pos] * len(entry.questions)
        if len(docs) < 2:
            continue
        pairs = _pairs_above(encoder.encode(texts), owners, threshold)
        for (a, b), sim in sorted(pairs.items()):
            first, second = docs[a], docs[b]
            same = fold(first.body).split() == fold(second.body).split()
            kind = "duplicate documents" if same else "answers differ: a likely contradiction"
            message = (
                f"questions of '{first.id}' and '{second.id}' ({second.path}) are near-duplicates"
                f" (similarity {sim:.2f}); {kind}"
            )
            issues.append(_issue(first, Severity.WARNING, "near-duplicate", message))
    return issues


def lint_entries(
    entries: list[FaqEntry],
    settings: KbSettings,
    *,
    encoder: Encoder | None = None,
) -> list[LintIssue]:
    """Return the findings about already parsed entries (schema errors come from loading)."""
    issues = _check_ids(entries)
    for entry in entries:
        issues += _check_body(entry, settings.max_body_chars) + _check_location(entry)
    issues += _check_translations(entries, settings.languages)
    issues += _check_same_questions(entries)
    if encoder is not None:
        unique = list({e.key: e for e in entries}.values())
        issues += _check_near_duplicates(unique, encoder, settings.duplicate_similarity)
    return issues


def lint(
    settings: KbSettings | None = None,
    *,
    encoder: Encoder | None = None,
    entries: list[FaqEntry] | None = None,
) -> LintReport:
    """Check every document under ``settings.docs_dir`` (or ``entries``) and report.

    Args:
        settings: where the documents are and the limits to apply.
        encoder: when given, near-duplicate questions are found by embedding similarity.
        entries: check these instead of reading the documents directory.
    """
    settings = settings or get_settings()
    issues: list[LintIssue] = []
    if entries is None:
        entries, issues = load_documents(settings.docs_dir)
    issues = issues + lint_entries(entries, settings, encoder=encoder)
    issues.sort(key=lambda i: (i.severity != Severity.ERROR, i.path, i.line, i.code))
    return LintReport(issues=issues, documents=len(entries))
