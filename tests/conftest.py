"""Shared fixtures: a real Redis (test database) and the real running stack."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from redis.asyncio import Redis

from bot.stack import Stack, redis_answers

ROOT = Path(__file__).resolve().parent.parent
TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
# In-process hubs of unit tests do not load the KB encoders at startup (the stack's hub does).
os.environ.setdefault("BOT_KB_WARM", "false")


@pytest.fixture(scope="session")
def redis_server() -> Iterator[str]:
    """A Redis answering at TEST_REDIS_URL: the machine's, or one started for the session."""
    if redis_answers(TEST_REDIS_URL):
        yield TEST_REDIS_URL
        return
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.fail("no Redis answers at TEST_REDIS_URL and redis-server is not installed: "
                    "run `make setup`")
    port = TEST_REDIS_URL.rsplit(":", 1)[1].split("/")[0]
    data = tempfile.mkdtemp(prefix="wabot-test-redis-")
    process = subprocess.Popen([binary, "--port", port, "--bind", "127.0.0.1", "--save", "",
                                "--appendonly", "no", "--dir", data],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(100):
        if redis_answers(TEST_REDIS_URL):
            break
        time.sleep(0.1)
    yield TEST_REDIS_URL
    process.terminate()
    process.wait(timeout=10)
    shutil.rmtree(data, ignore_errors=True)


@pytest.fixture
def key_prefix() -> str:
    """A key prefix unique to one test, so tests never see each other's keys."""
    return f"test:{uuid.uuid4().hex[:10]}:"


@pytest.fixture
async def redis(redis_server: str, key_prefix: str) -> AsyncIterator[Redis]:
    """A client on the test database; the test's keys are deleted afterwards."""
    client = Redis.from_url(redis_server, decode_responses=True)
    yield client
    async for key in client.scan_iter(match=f"{key_prefix}*", count=500):
        await client.delete(key)
    await client.aclose()


@pytest.fixture(scope="session")
def stack(redis_server: str) -> Iterator[Stack]:
    """The whole stack (Redis, actions, Rasa, hub): reused when running, else started."""
    running = Stack()
    running.start()
    yield running
    running.stop()
