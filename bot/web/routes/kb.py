"""The knowledge-base editor pages (role ``editor``; admins too).

Documents by topic, edit with a WhatsApp preview, lint on save, try a question, publish,
history and restore.

Saving and restoring go through the same functions as ``PUT /api/kb/docs/{id}/{lang}``
(``bot.api.routes.kb``): version check (409), lint (errors block), publish, history, audit.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from bot.api.routes.kb import (
    DocSaved,
    DocUpdate,
    HistoryDep,
    KbDep,
    KbSettingsDep,
    SearchRequest,
    file_version,
    get_doc,
    list_docs,
    restore_document,
    save_document,
    try_question,
)
from bot.kb_history import audit_subject, public
from bot.web.auth import EditorPage
from bot.web.errors import PageRoute, error_page, validation_message
from bot.web.templating import render
from bot.web.whatsapp_format import to_html
from knowledge_base import document_path, load_documents

router = APIRouter(
    prefix="/kb", tags=["staff pages"], route_class=PageRoute, include_in_schema=False
)
Text = Annotated[str, Form(max_length=10_000)]
LANG_PATTERN = r"^[a-z]{2}$"
DOC_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,63}$"


@dataclass
class Topic:
    """One topic id with its document per language (None = missing translation)."""

    id: str
    docs: dict[str, Any] = field(default_factory=dict)
    team: str | None = None

    def missing(self, languages: tuple[str, ...]) -> list[str]:
        """Languages without a document."""
        return [lang for lang in languages if self.docs.get(lang) is None]


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _split_tags(text: str) -> list[str]:
    return [tag.strip() for tag in text.split(",") if tag.strip()]


async def _try_it(state: Any, q: str | None, lang: str) -> dict[str, Any] | None:
    if not q or not q.strip():
        return None
    return await try_question(state, SearchRequest(text=q.strip()[:1000], lang=lang, k=5))


@router.get("", response_class=HTMLResponse)
async def documents(
    request: Request,
    user: EditorPage,
    settings: KbSettingsDep,
    state: KbDep,
    q: Annotated[str | None, Query(max_length=1000)] = None,
    qlang: Annotated[str, Query(pattern=LANG_PATTERN)] = "it",
) -> Response:
    """Documents by topic and language, missing translations flagged, and the try-it box."""
    summaries = await list_docs("page", settings)
    languages = tuple(settings.languages)
    topics: dict[str, Topic] = {}
    for doc in summaries:
        topic = topics.setdefault(doc.id, Topic(doc.id))
        topic.docs[doc.lang] = doc
        topic.team = topic.team or doc.team
    _entries, issues = await asyncio.to_thread(load_documents, settings.docs_dir)
    return render(
        request,
        "kb/list.html",
        topics=sorted(topics.values(), key=lambda t: t.id),
        languages=languages,
        broken=[i for i in issues if i.severity == "error"],
        q=q or "",
        qlang=qlang,
        tried=await _try_it(state, q, qlang),
    )


@router.post("/preview", response_class=HTMLResponse)
async def preview(user: EditorPage, body: Annotated[str, Form(max_length=10_000)] = "") -> Response:
    """The WhatsApp rendering of a body (the editor's live preview)."""
    return HTMLResponse(to_html(body))


@router.get("/new", response_class=HTMLResponse)
async def new_document(
    request: Request,
    user: EditorPage,
    settings: KbSettingsDep,
    doc_id: Annotated[str, Query(alias="id", pattern=DOC_PATTERN)],
    lang: Annotated[str, Query(pattern=LANG_PATTERN)],
) -> Response:
    """An empty form for a new document (or the missing translation of a topic)."""
    if lang not in settings.languages:
        return error_page(request, 422, f"unknown language {lang}; use {settings.languages}")
    if document_path(settings.docs_dir, doc_id, lang).exists():
        return error_page(request, 409, f"{lang}/{doc_id} exists already; edit it instead")
    doc: dict[str, Any] = {"id": doc_id, "lang": lang, "version": None, "title": ""}
    doc |= {"alt_questions": []}
    doc |= {"tags": [], "team": None, "body": ""}
    return _edit_page(request, doc, settings)


@router.get("/{doc_id}/{lang}", response_class=HTMLResponse)
async def edit_document(
    request: Request,
    doc_id: str,
    lang: str,
    user: EditorPage,
    settings: KbSettingsDep,
    state: KbDep,
    q: Annotated[str | None, Query(max_length=1000)] = None,
) -> Response:
    """The edit form: front matter fields, the body, its WhatsApp preview, try-it."""
    try:
        doc = (await get_doc(doc_id, lang, "page", settings)).model_dump(mode="json")
    except HTTPException as exc:
        return error_page(request, exc.status_code, _reason(exc))
    return _edit_page(request, doc, settings, q=q or "", tried=await _try_it(state, q, lang))


def _edit_page(request: Request, doc: dict[str, Any], settings: Any, **context: Any) -> Response:
    defaults: dict[str, Any] = {"q": "", "tried": None, "saved": None, "errors": []}
    defaults |= {"conflict": None, "status_code": 200}
    defaults |= context
    status_code = defaults.pop("status_code")
    return render(
        request,
        "kb/edit.html",
        status_code=status_code,
        doc=doc,
        preview=to_html(doc.get("body") or ""),
        languages=settings.languages,
        **defaults,
    )


@router.post("/{doc_id}/{lang}", response_class=HTMLResponse)
async def publish_document(
    request: Request,
    doc_id: str,
    lang: str,
    user: EditorPage,
    state: KbDep,
    history: HistoryDep,
    title: Text,
    body: Text,
    alt_questions: Text = "",
    tags: Text = "",
    team: Annotated[str, Form(max_length=64)] = "",
    version: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    """Save and publish: lint errors and conflicts show on the form, with the user's text kept."""
    fields: dict[str, Any] = {"title": title, "alt_questions": _lines(alt_questions)}
    fields |= {"tags": _split_tags(tags)}
    fields |= {"team": team.strip() or None, "body": body}
    doc = {"id": doc_id, "lang": lang, "version": version or None, **fields}
    try:
        update = DocUpdate(version=version or None, **fields)
        saved = await save_document(
            request, state, history, doc_id, lang, update, editor=user.username
        )
    except ValidationError as exc:
        return _edit_page(request, doc, state.settings, errors=[validation_message(exc)])
    except HTTPException as exc:
        return _refused(request, doc, state.settings, exc)
    doc["version"] = saved.version
    return _edit_page(request, doc, state.settings, saved=saved)


def _reason(exc: HTTPException) -> str:
    """The API's refusal as one sentence for the error page."""
    detail = exc.detail
    return detail if isinstance(detail, str) else str(detail.get("message") or detail)


def _refused(request: Request, doc: dict[str, Any], settings: Any, exc: HTTPException) -> Response:
    """A save the API refused: lint errors (422) or someone else's change (409)."""
    detail = exc.detail if isinstance(exc.detail, dict) else {"message": str(exc.detail)}
    if exc.status_code == 409:
        return _edit_page(
            request, doc, settings, conflict=detail.get("current_version"), status_code=409
        )
    errors = detail.get("errors") or [detail.get("message")]
    return _edit_page(request, doc, settings, errors=errors, status_code=exc.status_code)


@router.get("/{doc_id}/{lang}/history", response_class=HTMLResponse)
async def document_history(
    request: Request,
    doc_id: str,
    lang: str,
    user: EditorPage,
    settings: KbSettingsDep,
    history: HistoryDep,
    show: Annotated[str | None, Query(max_length=64)] = None,
) -> Response:
    """Who changed the document and when; preview a kept version; restore it."""
    path = document_path(settings.docs_dir, doc_id, lang)
    text = path.read_text(encoding="utf-8") if path.exists() else None
    current = file_version(text) if text is not None else None
    revisions = await history.revisions(doc_id, lang)
    shown = next((r for r in revisions if r.version == show), None) if show else None
    handoff = getattr(request.app.state, "handoff", None)
    audit = await handoff.store.audit(audit_subject(doc_id, lang), 50) if handoff else []
    return render(
        request,
        "kb/history.html",
        doc_id=doc_id,
        lang=lang,
        current=current,
        revisions=public(revisions, current),
        audit=list(reversed(audit)),
        shown=shown,
        shown_html=to_html(shown.text.split("---", 2)[-1]) if shown else "",
    )


@router.post("/{doc_id}/{lang}/restore", response_class=HTMLResponse)
async def restore(
    request: Request,
    doc_id: str,
    lang: str,
    user: EditorPage,
    state: KbDep,
    history: HistoryDep,
    restore: Annotated[str, Form(max_length=64)],
    version: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    """Publish a kept version again, then show the document."""
    try:
        saved: DocSaved = await restore_document(
            request, state, history, doc_id, lang, restore, version or None, editor=user.username
        )
    except HTTPException as exc:
        return error_page(request, exc.status_code, _reason(exc))
    doc = (await get_doc(doc_id, lang, "page", state.settings)).model_dump(mode="json")
    return _edit_page(request, doc, state.settings, saved=saved)
