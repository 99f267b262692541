"""Canned (quick) replies with placeholders, stored in Redis and seeded from ``canned.yml``."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import redis.asyncio as aioredis
import yaml

from handoff.errors import InvalidRequestError, NotFoundError
from handoff.keys import Keys
from handoff.models import CannedReply, CannedReplyIn, Language, StaffUser, Ticket

PLACEHOLDERS = ("name", "first_name", "agent", "ticket_id", "team", "phone", "area")
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


def unknown_placeholders(text: str) -> list[str]:
    """Placeholders in ``text`` that ``render`` would not know."""
    return sorted({m for m in _PLACEHOLDER.findall(text) if m not in PLACEHOLDERS})


def render(text: str, ticket: Ticket, agent: StaffUser) -> str:
    """Fill the placeholders for one ticket; an empty one is dropped with its space."""
    unknown = unknown_placeholders(text)
    if unknown:
        raise InvalidRequestError(
            f"unknown placeholder(s) {', '.join(unknown)}; use {', '.join(PLACEHOLDERS)}"
        )
    name = ticket.contact.name or ticket.summary.lead.contact_name or ""
    values = {
        "name": name,
        "first_name": name.split()[0] if name.split() else "",
        "agent": agent.name,
        "ticket_id": ticket.id,
        "team": ticket.team,
        "phone": ticket.contact.phone,
        "area": ticket.summary.lead.area or "",
    }
    filled = _PLACEHOLDER.sub(lambda m: values[m.group(1)], text)
    filled = re.sub(r"[ \t]+([,.!?;:])", r"\1", filled)
    return re.sub(r"[ \t]{2,}", " ", filled).strip()


class CannedStore:
    """CRUD of canned replies in one Redis hash."""

    def __init__(self, redis: aioredis.Redis, keys: Keys) -> None:
        self.redis = redis
        self.keys = keys

    async def search(
        self, *, language: Language | None = None, team: str | None = None
    ) -> list[CannedReply]:
        """All replies, filtered by language/team (replies without one match every filter)."""
        raws = (await self.redis.hgetall(self.keys.canned())).values()
        replies = sorted((CannedReply.model_validate_json(r) for r in raws), key=lambda r: r.id)
        return [
            reply
            for reply in replies
            if (language is None or reply.language in (None, language))
            and (team is None or reply.team in (None, team))
        ]

    async def get(self, reply_id: str) -> CannedReply:
        """One reply or ``NotFoundError``."""
        raw = await self.redis.hget(self.keys.canned(), reply_id)
        if raw is None:
            raise NotFoundError(f"canned reply {reply_id} does not exist")
        return CannedReply.model_validate_json(raw)

    async def put(self, reply: CannedReplyIn) -> CannedReply:
        """Create or replace a reply (placeholders checked)."""
        unknown = unknown_placeholders(reply.text)
        if unknown:
            raise InvalidRequestError(
                f"unknown placeholder(s) {', '.join(unknown)}; use {', '.join(PLACEHOLDERS)}"
            )
        stored = CannedReply.model_validate(reply.model_dump())
        await self.redis.hset(self.keys.canned(), stored.id, stored.model_dump_json())
        return stored

    async def delete(self, reply_id: str) -> None:
        """Remove a reply."""
        if not await self.redis.hdel(self.keys.canned(), reply_id):
            raise NotFoundError(f"canned reply {reply_id} does not exist")

    async def seed(self, path: Path) -> int:
        """Load ``canned.yml`` when no reply exists yet; returns how many were added."""
        if not path.exists() or await self.redis.hlen(self.keys.canned()):
            return 0
        entries: Any = yaml.safe_load(path.read_text(encoding="utf-8")) or []
        for entry in entries:
            await self.put(CannedReplyIn.model_validate(entry))
        return len(entries)
