"""Dead letters: outbound messages that could not be delivered, listed and retried by staff."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict

from bot import outbound
from bot.api.deps import KeysDep, RedisDep, ServiceDep, SettingsDep

router = APIRouter(prefix="/api/outbound/dead-letters", tags=["outbound"])


class RetryRequest(BaseModel):
    """Which dead letters to requeue (all of them when ``message_ids`` is null)."""

    model_config = ConfigDict(extra="forbid")

    message_ids: list[str] | None = None


class RetryResult(BaseModel):
    """The message ids put back in the outbound queue."""

    requeued: list[str]


@router.get("")
async def list_dead_letters(
    _: ServiceDep,
    redis: RedisDep,
    keys: KeysDep,
    count: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[outbound.DeadLetter]:
    """The newest dead letters first, with the reason each one failed."""
    return await outbound.list_dead_letters(redis, keys=keys, count=count)


@router.post("/retry")
async def retry_dead_letters(
    body: RetryRequest, _: ServiceDep, redis: RedisDep, keys: KeysDep, settings: SettingsDep
) -> RetryResult:
    """Requeue dead letters; the sender delivers them with the usual rules and retries."""
    requeued = await outbound.retry_dead(
        redis, keys=keys, shards=settings.outbound_shards, message_ids=body.message_ids
    )
    return RetryResult(requeued=requeued)
