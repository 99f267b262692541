"""A private stack for the fault tests: its own AOF Redis, Rasa, action server and hub.

Every process is started by the fixture and killed by the tests through its own PID
(:meth:`bot.stack.Stack.kill`), never by name. The stack listens on its own ports
(``FAULTS_HUB_PORT``, ``FAULTS_RASA_PORT``, ``FAULTS_ACTIONS_PORT``) and runs its own Redis
(``FAULTS_REDIS_URL``, AOF under ``var/redis-<port>``), never the machine's: the tests restart
it. After each test, whatever a test stopped or paused is resumed or started again.
"""

from __future__ import annotations

import os
import shutil
import signal
from collections.abc import AsyncIterator, Iterator
from urllib.parse import urlparse

import httpx
import pytest
from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError as RedisConnectionError

from bot.config import Settings
from bot.stack import Ports, Stack, http_ok, port_open, redis_answers
from tests.faults.helpers import Meta

FAULT_PORTS = Ports(
    redis_url=os.environ.get("FAULTS_REDIS_URL", "redis://127.0.0.1:6391/0"),
    rasa=int(os.environ.get("FAULTS_RASA_PORT", "5205")),
    actions=int(os.environ.get("FAULTS_ACTIONS_PORT", "5255")),
    hub=int(os.environ.get("FAULTS_HUB_PORT", "8200")),
)
# Production defaults, except what keeps the run short: a lease that expires in 4 s (a dead
# hub's shards are taken over sooner), a 2 s Cloud API timeout, a 5 s wait for Meta's status
# after a timed-out send, and a pair rate limit of 20 messages then 4 per second (Meta's
# 45 then 1 every 6 s would make the flood test last minutes; the mechanism is the same).
HUB_ENV = {
    "BOT_LEASE_MS": "4000",
    "BOT_WHATSAPP_TIMEOUT_S": "2",
    "BOT_INFLIGHT_GRACE_S": "5",
    "BOT_PAIR_RATE_BURST": "20",
    "BOT_PAIR_RATE_PER_S": "4",
    "BOT_WAIT_NOTICE_AFTER_S": "20",
    "BOT_SEND_MAX_ATTEMPTS": "6",
    "BOT_SEND_BACKOFF_BASE_S": "0.5",
}
PROCESSES = ("redis", "actions", "rasa", "hub")


def _busy_ports(ports: Ports) -> list[str]:
    redis_port = urlparse(ports.redis_url).port or 6379
    found = [f"redis :{redis_port}"] if redis_answers(ports.redis_url) else []
    found += [
        f"{name} :{port}"
        for name, port in (("rasa", ports.rasa), ("actions", ports.actions), ("hub", ports.hub))
        if port_open("127.0.0.1", port)
    ]
    return found


@pytest.fixture(scope="session")
def fault_stack() -> Iterator[Stack]:
    """The whole stack, every process started (and owned) by this fixture."""
    busy = _busy_ports(FAULT_PORTS)
    if busy:
        pytest.fail(
            f"the fault tests need their own processes, but {', '.join(busy)} already answer: "
            f"stop that stack (HUB_PORT={FAULT_PORTS.hub} python -m bot.stack stop) or set "
            "FAULTS_HUB_PORT / FAULTS_RASA_PORT / FAULTS_ACTIONS_PORT / FAULTS_REDIS_URL"
        )
    stack = Stack(ports=FAULT_PORTS, extra_env=HUB_ENV)
    shutil.rmtree(stack.redis_dir, ignore_errors=True)  # this Redis is ours: start empty
    try:
        stack.start()
        yield stack
    finally:
        stack.stop()


def restore(stack: Stack) -> None:
    """Resume paused processes and start the ones a test killed, in dependency order."""
    for name in PROCESSES:
        process = stack.processes.get(name)
        if process is not None and process.poll() is None:
            os.killpg(process.pid, signal.SIGCONT)
    for name in PROCESSES:
        process = stack.processes.get(name)
        if process is None or process.poll() is not None:
            stack.revive(name)
    hub = f"http://127.0.0.1:{stack.ports.hub}"
    assert http_ok(f"{hub}/healthz"), "the hub did not come back"


@pytest.fixture
def live(fault_stack: Stack) -> Iterator[Stack]:
    """The fault stack, restored after the test whatever the test killed."""
    yield fault_stack
    restore(fault_stack)


@pytest.fixture
def hub_settings(fault_stack: Stack) -> Settings:
    """Settings pointing at the fault stack's hub (signing secret, fake Cloud API URL)."""
    return Settings(
        public_url=f"http://127.0.0.1:{fault_stack.ports.hub}",
        redis_url=fault_stack.ports.redis_url,
    )


@pytest.fixture
async def meta(hub_settings: Settings) -> AsyncIterator[Meta]:
    """WhatsApp's side: signed deliveries in (retried like Meta), the fake Cloud API read out."""
    async with httpx.AsyncClient(timeout=10.0) as http:
        yield Meta(hub_settings, http)


@pytest.fixture
async def stack_redis(fault_stack: Stack) -> AsyncIterator[Redis]:
    """A client of the fault stack's Redis (reconnects by itself after a restart)."""
    client = Redis.from_url(
        fault_stack.ports.redis_url,
        decode_responses=True,
        retry=Retry(ExponentialBackoff(cap=1.0), retries=20),
        retry_on_error=[RedisConnectionError],
    )
    yield client
    await client.aclose()
