"""Delivery statuses (sent, delivered, read, failed) applied to our outbound messages."""

from __future__ import annotations

import structlog
from redis.asyncio import Redis

from bot.keys import Keys
from bot.whatsapp.models import Status, StatusKind

log = structlog.get_logger(__name__)

_RANK = {"queued": 0, "sent": 1, "delivered": 2, "read": 3, "failed": 4, "dead": 4}


async def apply_status(redis: Redis, *, keys: Keys, status: Status) -> None:
    """Move the message's status forward (statuses can arrive out of order)."""
    message_id = await redis.get(keys.wamid_to_message(status.id))
    if message_id is None:
        log.info("status.unknown_message", wamid=status.id, status=status.status.value)
        return
    key = keys.outbound_message(message_id)
    current = await redis.hget(key, "status") or "queued"
    new = status.status.value
    if status.status == StatusKind.UNKNOWN or _RANK.get(new, 0) <= _RANK.get(current, 0):
        return
    mapping = {"status": new, f"{new}_at": status.timestamp}
    if status.errors:
        mapping["error"] = "; ".join(f"{e.code} {e.title or ''}".strip() for e in status.errors)
    await redis.hset(key, mapping=mapping)
