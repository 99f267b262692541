"""Retention: the hub applies the configured period periodically (``BOT_RETENTION_DAYS``)."""

from __future__ import annotations

import asyncio

import httpx
import structlog
from redis.exceptions import RedisError

from bot.clients.handoff import HandoffUnavailableError
from bot.gdpr import ContactData

log = structlog.get_logger(__name__)


async def run_retention_forever(contact_data: ContactData, interval_s: float) -> None:
    """Apply retention every ``interval_s`` seconds (first run after one interval)."""
    while True:
        await asyncio.sleep(interval_s)
        try:
            report = await contact_data.apply_retention()
        except (RedisError, HandoffUnavailableError, httpx.HTTPError) as exc:
            log.warning("retention.failed", error=repr(exc))
            continue
        log.info("retention.applied", **report.model_dump(mode="json"))
