"""Simulator API (simulator mode only): where a simulated message is in the pipeline."""

from __future__ import annotations

import json

from fastapi import APIRouter
from pydantic import BaseModel

from bot.api.deps import KeysDep, RedisDep

router = APIRouter(prefix="/api/simulator", tags=["simulator"])


class InboundProgress(BaseModel):
    """Whether an inbound message was processed and how far its replies got."""

    wamid: str
    accepted: bool
    done: bool
    replies: int
    sent: int
    statuses: list[str]


@router.get("/inbound/{wamid}")
async def inbound_progress(wamid: str, redis: RedisDep, keys: KeysDep) -> InboundProgress:
    """Progress of one inbound message: accepted, processed, replies queued and sent."""
    accepted = bool(await redis.exists(keys.seen(wamid)))
    done = bool(await redis.exists(keys.done(wamid)))
    stored = await redis.get(keys.bot_replies(wamid))
    count = (
        len([r for r in json.loads(stored) if r.get("text") or r.get("buttons")]) if (stored) else 0
    )
    statuses = []
    for index in [*range(count), 99]:
        status = await redis.hget(keys.outbound_message(f"{wamid}:{index}"), "status")
        if status is not None:
            statuses.append(status)
    if not stored and done:  # hub's own reply (media, unsupported) without Rasa
        status = await redis.hget(keys.outbound_message(f"{wamid}:0"), "status")
        statuses = [status] if status else []
    sent = sum(s in ("sent", "delivered", "read") for s in statuses)
    return InboundProgress(
        wamid=wamid,
        accepted=accepted,
        done=done,
        replies=len(statuses),
        sent=sent,
        statuses=statuses,
    )
