"""Prior versions of knowledge-base documents, kept in Redis so an editor can restore one.

Each document has one HASH ``<KB_HISTORY_PREFIX><lang>:<id>``: ``<epoch>:<version>`` -> JSON
``Revision``
(the exact file text, who saved it, when, and the version it replaced). The oldest versions
beyond ``KB_HISTORY_KEEP`` are dropped. Every save is also appended to the handoff audit
stream (event ``kb_saved``/``kb_restored``, subject ``kb:<lang>/<id>``) when the handoff
service runs in the same process.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Literal, Protocol

from pydantic import AwareDatetime, BaseModel, ConfigDict
from redis.asyncio import Redis

from handoff.models import FactValue, HistoryEntry, TicketEvent

RevisionAction = Literal["original", "saved", "restored"]


class Revision(BaseModel):
    """One stored version of a document."""

    model_config = ConfigDict(extra="forbid")

    version: str
    text: str
    actor: str
    at: AwareDatetime
    action: RevisionAction
    previous_version: str | None = None
    restored_from: str | None = None


class RevisionPublic(BaseModel):
    """A version as the history list shows it (no text)."""

    model_config = ConfigDict(extra="forbid")

    version: str
    actor: str
    at: AwareDatetime
    action: RevisionAction
    previous_version: str | None
    restored_from: str | None
    is_current: bool = False


class AuditSink(Protocol):
    """Where KB saves are audited (``handoff.store.TicketStore`` in the hub)."""

    async def record_audit(self, subject: str, entry: HistoryEntry) -> str:
        """Append one entry; return its id."""
        ...


def audit_subject(doc_id: str, lang: str) -> str:
    """The audit stream's ``ticket_id`` for a document: ``kb:<lang>/<id>``."""
    return f"kb:{lang}/{doc_id}"


class KbHistory:
    """Reads and writes the versions of documents."""

    def __init__(
        self, redis: Redis, *, prefix: str, keep: int, audit: AuditSink | None = None
    ) -> None:
        self.redis = redis
        self.prefix = prefix
        self.keep = keep
        self.audit = audit

    def key(self, doc_id: str, lang: str) -> str:
        """The HASH of one document's versions."""
        return f"{self.prefix}{lang}:{doc_id}"

    async def revisions(self, doc_id: str, lang: str) -> list[Revision]:
        """Every kept version, newest first."""
        raw = await self.redis.hvals(self.key(doc_id, lang))
        found = [Revision.model_validate_json(value) for value in raw]
        return sorted(found, key=lambda r: r.at, reverse=True)

    async def revision(self, doc_id: str, lang: str, version: str) -> Revision | None:
        """The latest kept revision with this version, or None (never saved, or dropped)."""
        found = [r for r in await self.revisions(doc_id, lang) if r.version == version]
        return found[0] if found else None

    async def record(
        self,
        doc_id: str,
        lang: str,
        *,
        new: Revision,
        previous_text: str | None,
    ) -> None:
        """Keep the new version (and the one it replaced, the first time), then audit it."""
        key = self.key(doc_id, lang)
        previous = new.previous_version
        if (
            previous_text is not None
            and previous
            and not await self.revision(doc_id, lang, previous)
        ):
            original = Revision(
                version=previous,
                text=previous_text,
                actor="files",
                at=new.at - timedelta(microseconds=1),  # sorts just before the save
                action="original",
            )
            await self.redis.hset(key, _field(original), original.model_dump_json())
        await self.redis.hset(key, _field(new), new.model_dump_json())
        await self._trim(doc_id, lang)
        await self._audit(doc_id, lang, new)

    async def _trim(self, doc_id: str, lang: str) -> None:
        revisions = await self.revisions(doc_id, lang)
        stale = [_field(r) for r in revisions[self.keep :]]
        if stale:
            await self.redis.hdel(self.key(doc_id, lang), *stale)

    async def _audit(self, doc_id: str, lang: str, new: Revision) -> None:
        if self.audit is None:
            return
        event = TicketEvent.kb_restored if new.action == "restored" else TicketEvent.kb_saved
        detail: dict[str, FactValue] = {
            "doc_id": doc_id,
            "lang": lang,
            "previous_version": new.previous_version,
            "new_version": new.version,
        }
        if new.restored_from:
            detail["restored_from"] = new.restored_from
        entry = HistoryEntry(event=event, at=new.at, actor=new.actor, detail=detail)
        await self.audit.record_audit(audit_subject(doc_id, lang), entry)


def _field(revision: Revision) -> str:
    """HASH field of a revision: its time then its version (one version can come back)."""
    return f"{revision.at.timestamp():.6f}:{revision.version}"


def public(revisions: list[Revision], current: str | None) -> list[RevisionPublic]:
    """The history list, marking the version on disk now."""
    return [
        RevisionPublic(
            **r.model_dump(exclude={"text"}),
            is_current=r.version == current,
        )
        for r in revisions
    ]


def now_utc() -> datetime:
    """The current time (UTC)."""
    return datetime.now(UTC)
