"""``wabot worker``: inbound/outbound workers in their own process (scaling out the hub)."""

from __future__ import annotations

import asyncio
import signal

import structlog

from bot.config import Settings
from bot.logging import configure_logging
from bot.runtime import Runtime

log = structlog.get_logger(__name__)


async def run_forever(settings: Settings) -> None:
    """Run the workers until SIGINT/SIGTERM, then release their shards."""
    configure_logging()
    runtime = Runtime.create(settings)
    runtime.start_workers()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    log.info("worker.started", inbound_shards=settings.inbound_shards)
    await stop.wait()
    await runtime.close()
