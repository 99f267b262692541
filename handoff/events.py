"""Queue changes for consoles: read the Redis event stream from a ``Last-Event-ID``."""

from __future__ import annotations

import re
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import redis.asyncio as aioredis

from handoff.keys import Keys
from handoff.models import QueueEvent
from handoff.store import as_text

_STREAM_ID = re.compile(r"^\d+-\d+$")


@dataclass(frozen=True, slots=True)
class StreamedEvent:
    """One stream entry: its id (the SSE ``id``), type and the queue event."""

    id: str
    type: str
    event: QueueEvent


async def start_id(redis: aioredis.Redis, keys: Keys, last_event_id: str | None) -> str:
    """Where to resume: after ``Last-Event-ID`` when valid, else after the newest entry."""
    if last_event_id and _STREAM_ID.match(last_event_id.strip()):
        return last_event_id.strip()
    newest: list[Any] = await redis.xrevrange(keys.events(), count=1) or []
    return as_text(newest[0][0]) if newest else "0-0"


async def follow(
    redis: aioredis.Redis,
    keys: Keys,
    after: str,
    *,
    max_seconds: float,
    block_ms: int = 5000,
    team: str | None = None,
) -> AsyncIterator[StreamedEvent]:
    """Yield events after ``after`` until ``max_seconds`` pass (clients then reconnect)."""
    deadline = time.monotonic() + max_seconds
    cursor = after
    while time.monotonic() < deadline:
        wait = int(min(block_ms, max(1.0, (deadline - time.monotonic()) * 1000)))
        reply: Any = await redis.xread({keys.events(): cursor}, count=100, block=wait)
        batches = reply.items() if isinstance(reply, dict) else reply or []  # RESP3 or RESP2
        for _stream, entries in batches:
            for entry_id, fields in entries:
                cursor = as_text(entry_id)
                text = {as_text(k): as_text(v) for k, v in fields.items()}
                event = QueueEvent.model_validate_json(text["payload"])
                if team is None or event.team == team:
                    yield StreamedEvent(id=cursor, type=text["type"], event=event)
