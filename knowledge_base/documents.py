"""Read FAQ documents (Markdown + YAML front matter); one bad file never stops the rest."""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from knowledge_base.models import FaqEntry, LintIssue, Severity

FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?)^---[ \t]*\r?\n?", re.DOTALL | re.MULTILINE)
FIELDS = ("id", "lang", "title", "alt_questions", "tags", "team", "updated")


def iter_document_paths(docs_dir: Path) -> list[Path]:
    """Return every Markdown file under ``docs_dir`` in a stable order."""
    if not docs_dir.is_dir():
        return []
    return sorted(p for p in docs_dir.rglob("*.md") if p.is_file())


def _error(path: str, line: int, code: str, message: str) -> LintIssue:
    return LintIssue(severity=Severity.ERROR, code=code, message=message, path=path, line=line)


def _field_line(front: str, field: str) -> int:
    """Return the 1-based line of ``field:`` in the front matter (counting the opening ---)."""
    for number, text in enumerate(front.splitlines(), start=2):
        if text.startswith(f"{field}:"):
            return number
    return 1


def _split(text: str, path: str) -> tuple[str, str] | LintIssue:
    """Split a document into its front matter and its body."""
    match = FRONT_MATTER.match(text)
    if match is None:
        return _error(path, 1, "front-matter", "the file must start with '---', YAML, '---'")
    return match.group(1), text[match.end() :]


def _parse_front(front: str, path: str) -> dict[str, Any] | LintIssue:
    try:
        meta = yaml.safe_load(front) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 2 if mark is not None else 1
        problem = getattr(exc, "problem", None) or str(exc)
        return _error(path, line, "yaml", f"invalid YAML: {problem}")
    if not isinstance(meta, dict):
        return _error(path, 2, "yaml", "the front matter must be a mapping of fields")
    return meta


def _validation_issues(exc: ValidationError, front: str, path: str) -> list[LintIssue]:
    issues = []
    for err in exc.errors():
        field = str(err["loc"][0]) if err["loc"] else ""
        line = _field_line(front, field) if field else 1
        issues.append(_error(path, line, "schema", f"{field or 'document'}: {err['msg']}"))
    return issues


def parse_document(text: str, path: str) -> tuple[FaqEntry | None, list[LintIssue]]:
    """Parse one document; return the entry (or None) and the errors found."""
    split = _split(text, path)
    if isinstance(split, LintIssue):
        return None, [split]
    front, body = split
    meta = _parse_front(front, path)
    if isinstance(meta, LintIssue):
        return None, [meta]
    unknown = sorted(set(meta) - set(FIELDS))
    issues = [
        _error(path, _field_line(front, name), "schema", f"unknown field '{name}'")
        for name in unknown
    ]
    if issues:
        return None, issues
    fields = {k: v for k, v in meta.items() if v is not None}
    for name in ("alt_questions", "tags"):
        if isinstance(fields.get(name), str):
            fields[name] = [fields[name]]
    try:
        entry = FaqEntry(**fields, body=body.strip(), path=path, line=1)
    except ValidationError as exc:
        return None, _validation_issues(exc, front, path)
    return entry, []


def _display_path(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def load_documents(docs_dir: Path) -> tuple[list[FaqEntry], list[LintIssue]]:
    """Load every document under ``docs_dir``; broken ones are reported and skipped."""
    entries: list[FaqEntry] = []
    issues: list[LintIssue] = []
    for path in iter_document_paths(docs_dir):
        shown = _display_path(path)
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            issues.append(_error(shown, 1, "read", f"cannot read the file: {exc}"))
            continue
        entry, found = parse_document(text, shown)
        issues.extend(found)
        if entry is not None:
            entries.append(entry)
    return entries, issues


def document_path(docs_dir: Path, doc_id: str, lang: str) -> Path:
    """Return where the document ``doc_id`` in ``lang`` lives (``<docs>/<lang>/<id>.md``)."""
    return docs_dir / lang / f"{doc_id}.md"


def render_document(entry: FaqEntry) -> str:
    """Return the Markdown text of an entry, front matter first."""
    meta: dict[str, Any] = {"id": entry.id, "lang": entry.lang, "title": entry.title}
    meta["alt_questions"] = list(entry.alt_questions)
    meta["tags"] = list(entry.tags)
    if entry.team:
        meta["team"] = entry.team
    if entry.updated:
        meta["updated"] = entry.updated
    front = yaml.safe_dump(meta, allow_unicode=True, sort_keys=False, width=1000)
    return f"---\n{front}---\n\n{entry.body.strip()}\n"


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` so a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
