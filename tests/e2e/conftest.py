"""Fixtures for tests over the running stack (signed webhooks in, fake Cloud API out)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from redis.asyncio import Redis

from bot.config import Settings
from bot.simulate import Player
from bot.stack import Stack
from tests.e2e.helpers import Customer


@pytest.fixture(scope="session")
def hub_settings(stack: Stack) -> Settings:
    return Settings(public_url=f"http://127.0.0.1:{stack.ports.hub}")


@pytest.fixture
async def player(hub_settings: Settings) -> AsyncIterator[Player]:
    async with httpx.AsyncClient(timeout=30) as http:
        yield Player(hub_settings, http, timeout_s=90)


@pytest.fixture
def customer_it(player: Player) -> Customer:
    return Customer(player, "it")


@pytest.fixture
def customer_en(player: Player) -> Customer:
    return Customer(player, "en")


@pytest.fixture
async def stack_redis(stack: Stack) -> AsyncIterator[Redis]:
    client = Redis.from_url(stack.ports.redis_url, decode_responses=True)
    yield client
    await client.aclose()
