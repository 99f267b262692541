"""Fixtures for handoff tests: real Redis (db 15, unique key prefix), real HTTP peers."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import pytest_asyncio
import redis.asyncio as aioredis
from pydantic import SecretStr

from handoff.api import create_app
from handoff.api.state import HandoffState
from handoff.config import CrmWebhook, HandoffSettings
from handoff.models import Role, StaffUserCreate
from tests.handoff.peers import SERVICE_TOKEN, Recorder, peer_app, serve

REDIS_URL = "redis://127.0.0.1:6379/15"
PASSWORD = "correct-horse-battery"
CRM_SECRET = "crm-test-secret"


@pytest_asyncio.fixture(scope="session")
async def peers() -> AsyncIterator[tuple[str, Recorder]]:
    """The fake hub/Rasa/CRM server for the whole session."""
    recorder = Recorder()
    async with serve(peer_app(recorder)) as url:
        yield url, recorder


@pytest.fixture
def recorder(peers: tuple[str, Recorder]) -> Recorder:
    """The peers' recorder, emptied for this test."""
    peers[1].reset()
    return peers[1]


def make_settings(
    prefix: str, peer_url: str = "http://127.0.0.1:9", **overrides: Any
) -> HandoffSettings:
    """Settings for one test: db 15, its own key prefix, cheap argon2, no .env."""
    values: dict[str, Any] = {
        "redis_url": REDIS_URL,
        "key_prefix": prefix,
        "simulator_mode": False,
        "service_token": SecretStr(SERVICE_TOKEN),
        "session_secret": SecretStr("test-session-secret"),
        "hub_url": peer_url,
        "rasa_url": peer_url,
        "argon2_time_cost": 1,
        "argon2_memory_kib": 1024,
        "argon2_parallelism": 1,
        "check_interval_seconds": 3600,
        "outbox_poll_seconds": 0.05,
        "outbox_base_delay_seconds": 0.05,
        "http_timeout_seconds": 5,
        "crm_webhooks": [
            CrmWebhook(url=f"{peer_url}/crm/main", secret=SecretStr(CRM_SECRET)),
        ],
    }
    values.update(overrides)
    return HandoffSettings(_env_file=None, **values)


@pytest.fixture
def prefix() -> str:
    """A key prefix unique to this test."""
    return f"test-handoff:{uuid.uuid4().hex[:10]}:"


@pytest_asyncio.fixture
async def redis(prefix: str) -> AsyncIterator[aioredis.Redis]:
    """A client on db 15; this test's keys are deleted afterwards."""
    client = aioredis.from_url(REDIS_URL, decode_responses=True)
    yield client
    async for key in client.scan_iter(match=f"{prefix}*", count=1000):
        await client.delete(key)
    await client.aclose()


@dataclass
class Handoff:
    """A running handoff service and helpers to talk to it."""

    url: str
    state: HandoffState
    settings: HandoffSettings

    def service(self) -> httpx.AsyncClient:
        """A client with the service token (action server / hub)."""
        headers = {"Authorization": f"Bearer {SERVICE_TOKEN}"}
        return httpx.AsyncClient(base_url=self.url, headers=headers, timeout=30)

    async def add_user(self, username: str, role: Role, **fields: Any) -> None:
        """Create a staff user with the test password."""
        user = StaffUserCreate(username=username, role=role, password=PASSWORD, **fields)
        await self.state.directory.create(user)

    async def staff(
        self, username: str, role: Role | None = None, **fields: Any
    ) -> httpx.AsyncClient:
        """Log in (creating the user when a role is given); a client with the bearer token."""
        if role is not None:
            await self.add_user(username, role, **fields)
        async with httpx.AsyncClient(base_url=self.url, timeout=30) as anon:
            response = await anon.post(
                "/api/staff/auth/login", json={"username": username, "password": PASSWORD}
            )
        response.raise_for_status()
        token = response.json()["token"]
        return httpx.AsyncClient(
            base_url=self.url, headers={"Authorization": f"Bearer {token}"}, timeout=30
        )


@pytest_asyncio.fixture
async def handoff(
    peers: tuple[str, Recorder], recorder: Recorder, prefix: str, redis: aioredis.Redis
) -> AsyncIterator[Handoff]:
    """The handoff app served by uvicorn, talking to the recording peers."""
    settings = make_settings(prefix, peers[0])
    app = create_app(settings)
    async with serve(app) as url:
        yield Handoff(url=url, state=app.state.handoff, settings=settings)
