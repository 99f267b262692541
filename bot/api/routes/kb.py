"""KB editor API: list and read FAQ documents, save with optimistic concurrency, try a search.

Saving lints the document (errors -> 422), writes it atomically, re-embeds only what changed
in a worker thread and bumps the Redis version key, so every action server reloads within
seconds. No Rasa retraining.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import structlog
from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request, status
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bot.api.deps import ServiceDep
from bot.kb_history import KbHistory, Revision, RevisionPublic, now_utc, public
from knowledge_base import (
    Encoder,
    FaqEntry,
    HybridRetriever,
    KbSettings,
    LintIssue,
    build_index,
    document_path,
    get_settings,
    lint_entries,
    load_documents,
    load_encoders,
    load_retriever,
    parse_document,
    render_document,
    update_documents,
    version_value,
    write_atomic,
)

router = APIRouter(prefix="/api/kb", tags=["kb"])
log = structlog.get_logger(__name__)


async def get_kb_editor(_: ServiceDep) -> str:
    """Return who is editing; the hub overrides this with the staff session (editor role)."""
    return "service"


EditorDep = Annotated[str, Depends(get_kb_editor)]


def get_kb_settings() -> KbSettings:
    """Return the knowledge-base settings (tests override this dependency)."""
    return get_settings()


KbSettingsDep = Annotated[KbSettings, Depends(get_kb_settings)]


@dataclass
class KbState:
    """What the editor API keeps on ``app.state.kb``: encoders, retriever, a write lock."""

    settings: KbSettings
    encoders: dict[str, Encoder]
    retriever: HybridRetriever
    write_lock: asyncio.Lock

    @property
    def lint_encoder(self) -> Encoder:
        """Return the encoder used to find near-duplicate questions."""
        return self.encoders.get("multilingual") or self.encoders["dense"]


def create_kb_state(settings: KbSettings, encoders: dict[str, Encoder] | None = None) -> KbState:
    """Load encoders and the retriever (blocking: call it in a worker thread)."""
    encoders = encoders if encoders is not None else load_encoders(settings)
    retriever = load_retriever(settings, encoders=encoders)
    return KbState(settings, encoders, retriever, asyncio.Lock())


async def get_kb_state(request: Request, settings: KbSettingsDep) -> KbState:
    """Return ``app.state.kb``, loading it on first use (normally warmed at startup)."""
    return await ensure_kb_state(request.app, settings)


async def ensure_kb_state(app: FastAPI, settings: KbSettings) -> KbState:
    """Return ``app.state.kb``, loading encoders and index once (concurrent callers wait)."""
    state: KbState | None = getattr(app.state, "kb", None)
    if state is not None:
        return state
    init_lock = getattr(app.state, "kb_init_lock", None)
    if init_lock is None:
        init_lock = app.state.kb_init_lock = asyncio.Lock()
    async with init_lock:
        state = getattr(app.state, "kb", None)
        if state is None:
            started = time.perf_counter()
            state = await asyncio.to_thread(create_kb_state, settings)
            app.state.kb = state
            log.info("kb.loaded", seconds=round(time.perf_counter() - started, 2))
    return state


async def warm_kb_state(app: FastAPI) -> None:
    """Load the encoders and the index in the background at startup.

    The webhook does not wait for it (readiness is unchanged); the first KB editor request
    finds everything loaded instead of paying ~6 s. A failure is logged, and the first
    request tries again and reports the error.
    """
    settings_for = app.dependency_overrides.get(get_kb_settings, get_kb_settings)
    try:
        await ensure_kb_state(app, settings_for())
    except Exception as exc:  # noqa: BLE001 - warming is best effort; requests retry
        log.warning("kb.warm_failed", error=repr(exc))


KbDep = Annotated[KbState, Depends(get_kb_state)]


def get_kb_history(request: Request, settings: KbSettingsDep) -> KbHistory:
    """Versions of documents in the hub's Redis, audited in the handoff stream when mounted."""
    handoff = getattr(request.app.state, "handoff", None)
    return KbHistory(
        request.app.state.redis,
        prefix=settings.history_prefix,
        keep=settings.history_keep,
        audit=handoff.store if handoff is not None else None,
    )


HistoryDep = Annotated[KbHistory, Depends(get_kb_history)]


# ---------------------------------------------------------------- models


class DocSummary(BaseModel):
    """One document in the editor's list."""

    model_config = ConfigDict(extra="forbid")

    id: str
    lang: str
    title: str
    team: str | None
    tags: list[str]
    updated: dt.date | None
    version: str
    path: str


class DocPublic(DocSummary):
    """One document with its front matter and body, and the version to send back on save."""

    alt_questions: list[str]
    body: str


class DocUpdate(BaseModel):
    """A save from the editor: ``version`` is what the editor loaded (null for a new doc)."""

    model_config = ConfigDict(extra="forbid")

    version: str | None = None
    title: str
    alt_questions: list[str] = Field(default_factory=list)
    tags: list[str] = Field(default_factory=list)
    team: str | None = None
    updated: dt.date | None = None
    body: str


class DocSaved(BaseModel):
    """The result of a save: the new version, warnings and what the index did."""

    model_config = ConfigDict(extra="forbid")

    id: str
    lang: str
    version: str
    index_version: str
    embedded_rows: int
    warnings: list[LintIssue]


class RestoreRequest(BaseModel):
    """Restore a kept version; ``version`` is the one on disk the editor saw (409 if stale)."""

    model_config = ConfigDict(extra="forbid")

    restore: str = Field(min_length=1, max_length=64)
    version: str | None = None


class SearchRequest(BaseModel):
    """A try-it search from the editor."""

    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=1000)
    lang: str = Field(default="it", pattern=r"^[a-z]{2}$")
    k: int = Field(default=5, ge=1, le=20)


class ReloadResult(BaseModel):
    """What a reload did."""

    model_config = ConfigDict(extra="forbid")

    index_version: str
    embedded_rows: int
    changed: list[str]
    removed: list[str]
    redis_version: str


# ---------------------------------------------------------------- helpers


def file_version(text: str) -> str:
    """Return the version of a document file: a hash of its exact text."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None


def _public(entry: FaqEntry, text: str) -> DocPublic:
    return DocPublic(
        id=entry.id,
        lang=entry.lang,
        title=entry.title,
        team=entry.team,
        tags=list(entry.tags),
        updated=entry.updated,
        version=file_version(text),
        path=entry.path,
        alt_questions=list(entry.alt_questions),
        body=entry.body,
    )


def _load_one(settings: KbSettings, doc_id: str, lang: str) -> tuple[FaqEntry, str]:
    path = document_path(settings.docs_dir, doc_id, lang)
    text = _read(path)
    if text is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no document {lang}/{doc_id}")
    entry, issues = parse_document(text, str(path))
    if entry is None:
        detail = {"message": "the document does not parse", "errors": _dump(issues)}
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, detail)
    return entry, text


def _dump(issues: list[LintIssue]) -> list[dict[str, Any]]:
    return [issue.model_dump(mode="json") for issue in issues]


def _candidate(doc_id: str, lang: str, update: DocUpdate, path: Path) -> FaqEntry:
    fields = update.model_dump(exclude={"version"})
    # browsers send textarea lines as CRLF; files are read back with universal newlines,
    # so a stored "\r" would change the document's version between saving and reading
    fields["body"] = fields["body"].replace("\r\n", "\n").replace("\r", "\n")
    fields["updated"] = fields["updated"] or dt.date.today()
    try:
        return FaqEntry(id=doc_id, lang=lang, path=str(path), **fields)
    except ValidationError as exc:
        errors = [f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()]
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, {"errors": errors}) from exc


def _lint_candidate(state: KbState, candidate: FaqEntry) -> list[LintIssue]:
    """Lint the base as it would be after the save; return findings about this document."""
    entries, _issues = load_documents(state.settings.docs_dir)
    entries = [e for e in entries if e.key != candidate.key] + [candidate]
    issues = lint_entries(entries, state.settings, encoder=state.lint_encoder)
    return [
        i for i in issues if i.doc_id == candidate.id and (i.lang == candidate.lang or not i.lang)
    ]


def _check_version(current_text: str | None, update: DocUpdate, key: str) -> None:
    current = file_version(current_text) if current_text is not None else None
    if current != update.version:
        detail = {
            "message": f"{key} was changed by someone else; reload it and apply your edit again",
            "current_version": current,
        }
        raise HTTPException(status.HTTP_409_CONFLICT, detail)


async def _publish(request: Request, state: KbState) -> tuple[Any, str]:
    """Rebuild what changed in a worker thread, swap the retriever, bump the version key."""
    report = await asyncio.to_thread(build_index, state.settings, encoders=state.encoders)
    state.retriever = await asyncio.to_thread(
        load_retriever, state.settings, encoders=state.encoders
    )
    return report, await _bump(request, state, report.version)


async def _publish_one(request: Request, state: KbState, saved: FaqEntry) -> Any:
    """Index one saved document from the live retriever (no full reload), bump the version."""
    state.retriever, report = await asyncio.to_thread(update_documents, state.retriever, [saved])
    await _bump(request, state, report.version)
    return report


async def _bump(request: Request, state: KbState, version: str) -> str:
    value = version_value(version)
    await request.app.state.redis.set(state.settings.version_key, value)
    return value


# ---------------------------------------------------------------- routes


@router.get("/docs", response_model=list[DocSummary])
async def list_docs(_: EditorDep, settings: KbSettingsDep) -> list[DocSummary]:
    """Every document that parses, with the version to send back when saving."""
    entries, _issues = await asyncio.to_thread(load_documents, settings.docs_dir)
    summaries = []
    for entry in sorted(entries, key=lambda e: (e.id, e.lang)):
        text = _read(Path(entry.path)) or ""
        public = _public(entry, text)
        summaries.append(DocSummary(**public.model_dump(exclude={"alt_questions", "body"})))
    return summaries


@router.get("/docs/{doc_id}/{lang}", response_model=DocPublic)
async def get_doc(doc_id: str, lang: str, _: EditorDep, settings: KbSettingsDep) -> DocPublic:
    """One document: front matter, body and its current version."""
    entry, text = _load_one(settings, doc_id, lang)
    return _public(entry, text)


@router.put("/docs/{doc_id}/{lang}", response_model=DocSaved)
async def put_doc(
    doc_id: str,
    lang: str,
    update: DocUpdate,
    request: Request,
    editor: EditorDep,
    state: KbDep,
    history: HistoryDep,
) -> DocSaved:
    """Save a document if nobody changed it meanwhile (409), lint it (422), publish it."""
    return await save_document(request, state, history, doc_id, lang, update, editor=editor)


@router.get("/docs/{doc_id}/{lang}/history", response_model=list[RevisionPublic])
async def doc_history(
    doc_id: str, lang: str, _: EditorDep, settings: KbSettingsDep, history: HistoryDep
) -> list[RevisionPublic]:
    """Kept versions of a document, newest first: who saved each, when, what it replaced."""
    text = _read(document_path(settings.docs_dir, doc_id, lang))
    current = file_version(text) if text is not None else None
    return public(await history.revisions(doc_id, lang), current)


@router.get("/docs/{doc_id}/{lang}/history/{version}", response_model=DocPublic)
async def doc_revision(
    doc_id: str, lang: str, version: str, _: EditorDep, history: HistoryDep
) -> DocPublic:
    """One kept version, parsed like a document (to preview it before restoring)."""
    revision = await kept_revision(history, doc_id, lang, version)
    entry, _issues = parse_document(revision.text, revision.version)
    if entry is None:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, "that version does not parse")
    return _public(entry, revision.text)


@router.post("/docs/{doc_id}/{lang}/restore", response_model=DocSaved)
async def restore_doc(
    doc_id: str,
    lang: str,
    body: RestoreRequest,
    request: Request,
    editor: EditorDep,
    state: KbDep,
    history: HistoryDep,
) -> DocSaved:
    """Publish a kept version again (through the same checks as a save); audited."""
    return await restore_document(
        request, state, history, doc_id, lang, body.restore, body.version, editor=editor
    )


async def restore_document(
    request: Request,
    state: KbState,
    history: KbHistory,
    doc_id: str,
    lang: str,
    restore: str,
    current_version: str | None,
    *,
    editor: str,
) -> DocSaved:
    """Save a kept version as the current one (API and editor page)."""
    revision = await kept_revision(history, doc_id, lang, restore)
    entry, _issues = parse_document(revision.text, revision.version)
    if entry is None or (entry.id, entry.lang) != (doc_id, lang):
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, "that version does not parse")
    fields = entry.model_dump(include={"title", "alt_questions", "tags", "team", "updated"})
    update = DocUpdate(version=current_version, body=entry.body, **fields)
    return await save_document(
        request, state, history, doc_id, lang, update, editor=editor, restored_from=revision.version
    )


async def kept_revision(history: KbHistory, doc_id: str, lang: str, version: str) -> Revision:
    """A kept version of a document, or a 404 that says where to look."""
    revision = await history.revision(doc_id, lang, version)
    if revision is None:
        detail = f"no kept version {version} of {lang}/{doc_id}; pick one from the history"
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail)
    return revision


async def save_document(
    request: Request,
    state: KbState,
    history: KbHistory,
    doc_id: str,
    lang: str,
    update: DocUpdate,
    *,
    editor: str,
    restored_from: str | None = None,
) -> DocSaved:
    """Check the version, lint, write, publish and keep the version (API and editor page)."""
    path = document_path(state.settings.docs_dir, doc_id, lang)
    candidate = _candidate(doc_id, lang, update, path)
    async with state.write_lock:
        previous = _read(path)
        _check_version(previous, update, f"{lang}/{doc_id}")
        issues = await asyncio.to_thread(_lint_candidate, state, candidate)
        errors = [i for i in issues if i.severity == "error"]
        if errors:
            detail = {"message": "the document has errors", "errors": _dump(errors)}
            raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, detail)
        text = render_document(candidate)
        saved, _parse_issues = parse_document(text, str(path))
        await asyncio.to_thread(write_atomic, path, text)
        report = await _publish_one(request, state, saved or candidate)
        revision = Revision(
            version=file_version(text),
            text=text,
            actor=editor,
            at=now_utc(),
            action="restored" if restored_from else "saved",
            previous_version=file_version(previous) if previous is not None else None,
            restored_from=restored_from,
        )
        await history.record(doc_id, lang, new=revision, previous_text=previous)
    return DocSaved(
        id=doc_id,
        lang=lang,
        version=revision.version,
        index_version=report.version,
        embedded_rows=report.embedded_rows,
        warnings=[i for i in issues if i.severity == "warning"],
    )


@router.post("/search")
async def search_docs(body: SearchRequest, _: EditorDep, state: KbDep) -> dict[str, Any]:
    """Try a question: top-k topics with dense, BM25 and fused scores, and the decision."""
    return await try_question(state, body)


async def try_question(state: KbState, body: SearchRequest) -> dict[str, Any]:
    """What the bot would do with a question (API and editor page)."""
    retriever = state.retriever
    settings = retriever.settings.model_copy(update={"top_k": body.k})
    scoped = HybridRetriever(retriever.kb, retriever.encoders, settings)
    answer = await asyncio.to_thread(scoped.answer, body.text, body.lang)
    return answer.explain()


@router.post("/reload", response_model=ReloadResult)
async def reload_kb(request: Request, _: EditorDep, state: KbDep) -> ReloadResult:
    """Rebuild from the files on disk (re-embedding only changes) and bump the version key."""
    async with state.write_lock:
        report, value = await _publish(request, state)
    return ReloadResult(
        index_version=report.version,
        embedded_rows=report.embedded_rows,
        changed=report.changed,
        removed=report.removed,
        redis_version=value,
    )
