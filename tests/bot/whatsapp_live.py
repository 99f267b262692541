"""Helpers of the WhatsApp channel tests: recorded payloads and a live hub on a real port.

The live hub is the real application (``bot.main.create_app``) served by uvicorn on 127.0.0.1,
with its workers, the handoff service and the fake Cloud API, on the test Redis database and a
key prefix unique to the test. Status webhooks and the simulator reach it over real HTTP, as
Meta would.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import json
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from redis.asyncio import Redis

from bot.config import Settings
from bot.keys import Keys
from bot.main import create_app
from bot.simulator import webhook_request
from handoff.config import HandoffSettings

DATA = Path(__file__).resolve().parent.parent / "data" / "whatsapp"
SERVICE = {"Authorization": "Bearer dev-service-token"}
MESSAGE_TYPES = [
    "text",
    "interactive_button_reply",
    "interactive_list_reply",
    "button",
    "image",
    "document",
    "audio",
    "video",
    "sticker",
    "location",
    "contacts",
    "reaction",
    "unsupported",
    "system",
]


def recorded(name: str) -> dict[str, Any]:
    """One recorded delivery of ``tests/data/whatsapp``."""
    document: dict[str, Any] = json.loads((DATA / f"{name}.json").read_text(encoding="utf-8"))
    return document


def recorded_message(name: str, *, contact: str, wamid: str) -> dict[str, Any]:
    """A recorded message delivery re-addressed to ``contact`` with a fresh ``wamid``."""
    envelope = copy.deepcopy(recorded(name))
    value = envelope["entry"][0]["changes"][0]["value"]
    for block in value.get("contacts", []):
        block["wa_id"] = contact
    for message in value.get("messages", []):
        message["from"] = contact
        message["id"] = wamid
    return envelope


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def until(predicate: Callable[[], Awaitable[bool]], timeout: float = 10.0) -> None:
    """Wait until the async ``predicate`` holds (fails the test after ``timeout``)."""
    deadline = time.monotonic() + timeout
    while not await predicate():
        assert time.monotonic() < deadline, "timed out waiting for the condition"
        await asyncio.sleep(0.02)


@dataclass
class LiveHub:
    """A running hub and an HTTP client pointed at it."""

    settings: Settings
    keys: Keys
    http: httpx.AsyncClient
    redis: Redis

    async def deliver(self, envelope: dict[str, Any]) -> httpx.Response:
        """POST a delivery signed as Meta signs it."""
        url, headers, body = webhook_request(self.settings, envelope)
        return await self.http.post(url, headers=headers, content=body)

    async def sent_to(self, contact: str) -> list[dict[str, Any]]:
        """What the fake Cloud API accepted for ``contact``, oldest first."""
        response = await self.http.get("/fake-cloud/_sent", params={"to": contact})
        rows: list[dict[str, Any]] = response.json()
        return rows

    async def replies_to(self, wamid: str) -> list[dict[str, str]]:
        """The outbound messages queued in reply to one inbound message."""
        found = []
        for index in [*range(10), 99]:
            stored = await self.redis.hgetall(self.keys.outbound_message(f"{wamid}:{index}"))
            if stored:
                found.append(stored)
        return found

    async def is_done(self, wamid: str) -> bool:
        """True once the router finished the inbound message."""
        return bool(await self.redis.exists(self.keys.done(wamid)))


def hub_settings(redis_url: str, key_prefix: str, port: int, **overrides: Any) -> Settings:
    """Settings of a test hub: fast retries, few shards, statuses posted back quickly."""
    values: dict[str, Any] = {
        "simulator_mode": True,
        "redis_url": redis_url,
        "key_prefix": key_prefix,
        "public_url": f"http://127.0.0.1:{port}",
        "rasa_url": "http://127.0.0.1:9",  # these tests never need Rasa
        "inbound_shards": 4,
        "outbound_shards": 2,
        "lease_ms": 1500,
        "send_max_attempts": 3,
        "send_backoff_base_s": 0.01,
        "send_backoff_max_s": 0.05,
        "fake_cloud_status_delay_s": 0.01,
        **overrides,
    }
    return Settings(**values)


@contextlib.asynccontextmanager
async def live_hub(
    redis: Redis, redis_url: str, key_prefix: str, **overrides: Any
) -> AsyncIterator[LiveHub]:
    """Serve the real hub on a free port for the duration of the block."""
    port = free_port()
    settings = hub_settings(redis_url, key_prefix, port, **overrides)
    app = create_app(settings)
    app.state.handoff_settings = HandoffSettings(
        redis_url=redis_url,
        key_prefix=f"{key_prefix}handoff:",
        hub_url=settings.public_url,
        rasa_url="http://127.0.0.1:9",
        check_interval_seconds=60,
        outbox_poll_seconds=0.2,
    )
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    try:
        while not server.started:
            assert not task.done(), "the hub did not start"
            await asyncio.sleep(0.02)
        async with httpx.AsyncClient(base_url=settings.public_url, timeout=15.0) as http:
            yield LiveHub(settings=settings, keys=Keys(key_prefix), http=http, redis=redis)
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 30)
