"""A durable outbox in Redis for deliveries that must survive outages and restarts.

Jobs wait in a sorted set scored by their next attempt time. A worker takes due jobs
(``ZREM`` decides who owns a job, so several hub replicas can run workers), tries them a
few times at once with tenacity, then reschedules with exponential backoff, and finally
moves them to a dead-letter list.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import secrets
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Literal

import redis.asyncio as aioredis
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field
from tenacity import (
    AsyncRetrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential,
)

from handoff.clients import DeliveryError, OutboundMessage
from handoff.keys import Keys
from handoff.store import as_texts

logger = logging.getLogger(__name__)

JobKind = Literal["rasa", "crm", "outbound"]
KINDS: tuple[JobKind, ...] = ("rasa", "crm", "outbound")
_MAX_DELAY_SECONDS = 3600.0
_BATCH = 20


class RasaJob(BaseModel):
    """Append an event to a Rasa tracker."""

    model_config = ConfigDict(extra="forbid")

    sender: str
    event: Literal["resume", "pause"]


class CrmJob(BaseModel):
    """POST a signed JSON body to one configured CRM webhook (secret read at delivery)."""

    model_config = ConfigDict(extra="forbid")

    url: str
    event: str
    delivery_id: str
    body: str


class OutboxJob(BaseModel):
    """One job with its attempt count."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(default_factory=lambda: secrets.token_hex(8))
    kind: JobKind
    attempt: int = 0
    created_at: AwareDatetime = Field(default_factory=lambda: datetime.now(UTC))
    last_error: str | None = None
    rasa: RasaJob | None = None
    crm: CrmJob | None = None
    outbound: OutboundMessage | None = None


Deliver = Callable[[OutboxJob], Awaitable[None]]


class Outbox:
    """Schedules and runs jobs."""

    def __init__(
        self,
        redis: aioredis.Redis,
        keys: Keys,
        *,
        max_attempts: int = 8,
        base_delay: float = 5.0,
        quick_retries: int = 3,
    ) -> None:
        self.redis = redis
        self.keys = keys
        self.max_attempts = max_attempts
        self.base_delay = base_delay
        self.quick_retries = quick_retries

    async def put(self, job: OutboxJob, delay: float = 0.0) -> None:
        """Schedule a job ``delay`` seconds from now."""
        due = datetime.now(UTC).timestamp() + delay
        await self.redis.zadd(self.keys.outbox(job.kind), {job.model_dump_json(): due * 1000})

    async def run_due(self, kind: JobKind, deliver: Deliver) -> int:
        """Try every due job of one kind once; returns how many were delivered."""
        key = self.keys.outbox(kind)
        now_ms = datetime.now(UTC).timestamp() * 1000
        members = as_texts(await self.redis.zrangebyscore(key, "-inf", now_ms, start=0, num=_BATCH))
        delivered = 0
        for member in members:
            if not await self.redis.zrem(key, member):
                continue  # another worker took it
            job = OutboxJob.model_validate_json(member)
            delivered += await self._attempt(job, deliver)
        return delivered

    async def pending(self, kind: JobKind) -> int:
        """Jobs waiting (due or scheduled)."""
        return int(await self.redis.zcard(self.keys.outbox(kind)))

    async def dead(self, kind: JobKind) -> list[OutboxJob]:
        """Jobs that failed every attempt, newest first."""
        raws = await self.redis.lrange(self.keys.dead_letter(kind), 0, 99)
        return [OutboxJob.model_validate_json(raw) for raw in raws]

    async def _attempt(self, job: OutboxJob, deliver: Deliver) -> int:
        try:
            async for attempt in AsyncRetrying(
                stop=stop_after_attempt(self.quick_retries),
                wait=wait_exponential(multiplier=0.2, max=2.0),
                retry=retry_if_exception_type(DeliveryError),
                reraise=True,
            ):
                with attempt:
                    await deliver(job)
            return 1
        except Exception as exc:  # any failure is rescheduled or dead-lettered, never lost
            await self._reschedule(job, exc)
            return 0

    async def _reschedule(self, job: OutboxJob, exc: Exception) -> None:
        job.attempt += 1
        job.last_error = f"{type(exc).__name__}: {exc}"[:500]
        if job.attempt >= self.max_attempts or not isinstance(exc, DeliveryError):
            await self.redis.lpush(self.keys.dead_letter(job.kind), job.model_dump_json())
            logger.error("outbox %s job %s dead after %s: %s", job.kind, job.id, job.attempt, exc)
            return
        delay = min(_MAX_DELAY_SECONDS, self.base_delay * 2 ** (job.attempt - 1))
        delay *= random.uniform(0.8, 1.2)
        logger.warning(
            "outbox %s job %s failed (%s); retry %s in %.0fs",
            job.kind,
            job.id,
            exc,
            job.attempt,
            delay,
        )
        await self.put(job, delay)


async def run_outbox_forever(
    outbox: Outbox, deliverers: dict[JobKind, Deliver], poll_seconds: float, stop: asyncio.Event
) -> None:
    """Background task: deliver due jobs of every kind until ``stop`` is set."""
    while not stop.is_set():
        for kind, deliver in deliverers.items():
            try:
                await outbox.run_due(kind, deliver)
            except Exception:
                logger.exception("outbox worker for %s failed; retrying", kind)
        await wait_or_stop(stop, poll_seconds)


async def wait_or_stop(stop: asyncio.Event, seconds: float) -> None:
    """Sleep ``seconds`` or until ``stop`` is set, whichever comes first."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)
