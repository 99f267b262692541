"""An in-process hub (real Redis db 15, unique prefixes, workers off) with settings per test."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from redis.asyncio import Redis

from bot.config import Settings
from bot.main import create_app
from handoff.config import HandoffSettings

SECRET = "test-app-secret"
ADMIN = {"username": "admin", "password": "wabot-admin"}  # simulator mode's bootstrap admin

HubFactory = Callable[..., AbstractAsyncContextManager[tuple[FastAPI, httpx.AsyncClient]]]


@pytest.fixture
def hub(redis_server: str, key_prefix: str, redis: Redis) -> HubFactory:
    """Start a hub app with settings overrides (its keys are deleted by ``redis``)."""

    @asynccontextmanager
    async def start(
        handoff: dict[str, Any] | None = None, **overrides: Any
    ) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
        values: dict[str, Any] = {
            "simulator_mode": True, "redis_url": redis_server, "key_prefix": key_prefix,
            "whatsapp_app_secret": SECRET, "run_workers": False, "inbound_shards": 2,
            "outbound_shards": 2, "public_url": "http://hub.test", "retention_interval_s": 0,
        }
        app = create_app(Settings(**{**values, **overrides}))
        app.state.handoff_settings = HandoffSettings(
            redis_url=redis_server, key_prefix=f"{key_prefix}h:", simulator_mode=True,
            argon2_time_cost=1, argon2_memory_kib=1024, argon2_parallelism=1,
            check_interval_seconds=3600, outbox_poll_seconds=3600, **(handoff or {}),
        )
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://hub.test") as http:
                yield app, http

    return start


async def bearer(http: httpx.AsyncClient, credentials: dict[str, str]) -> dict[str, str]:
    """Log in and return the bearer header (cookies dropped: no CSRF needed)."""
    response = await http.post("/api/staff/auth/login", json=credentials)
    response.raise_for_status()
    http.cookies.clear()
    return {"Authorization": f"Bearer {response.json()['token']}"}
