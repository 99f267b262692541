"""Internal outbound API: the handoff service sends agent replies through the hub's queue."""

from __future__ import annotations

import uuid
from typing import Literal

from fastapi import APIRouter, status
from pydantic import BaseModel, ConfigDict

from bot import outbound
from bot.api.deps import KeysDep, RedisDep, ServiceDep, SettingsDep

router = APIRouter(prefix="/api/outbound", tags=["outbound"])


class OutboundCreate(BaseModel):
    """A message another service wants delivered to a contact."""

    model_config = ConfigDict(extra="forbid")

    to: str
    text: str
    origin: Literal["agent", "system"] = "agent"
    agent_id: str | None = None
    ticket_id: str | None = None
    idempotency_key: str | None = None


class OutboundAccepted(BaseModel):
    """The id under which the message was queued."""

    message_id: str
    queued: bool


@router.post("/messages", status_code=status.HTTP_202_ACCEPTED)
async def create_message(
    body: OutboundCreate, _: ServiceDep, redis: RedisDep, keys: KeysDep, settings: SettingsDep
) -> OutboundAccepted:
    """Queue a message; the same ``idempotency_key`` is only ever queued once."""
    message_id = body.idempotency_key or f"{body.origin}:{uuid.uuid4().hex}"
    message = outbound.OutboundMessage(
        id=message_id,
        to=body.to.lstrip("+"),
        text=body.text,
        origin=body.origin,
        agent_id=body.agent_id,
        ticket_id=body.ticket_id,
    )
    queued = await outbound.enqueue(
        redis,
        keys=keys,
        message=message,
        shards=settings.outbound_shards,
        ttl_s=settings.dedupe_ttl_s,
    )
    return OutboundAccepted(message_id=message_id, queued=queued)
