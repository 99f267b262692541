"""Tickets, audit trail, gates and sessions survive a Redis restart (AOF persistence)."""

from __future__ import annotations

import asyncio
import shutil
import signal
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import redis.asyncio as aioredis

from handoff.api import create_app
from handoff.models import Role
from tests.handoff.conftest import Handoff, make_settings
from tests.handoff.factories import ticket_body
from tests.handoff.peers import free_port, serve

REDIS_SERVER = shutil.which("redis-server")
FUTURE = datetime(2099, 1, 5, 10, 0, tzinfo=UTC)


class OwnRedis:
    """A redis-server with append-only persistence in a temporary directory."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/15"

    async def start(self) -> None:
        assert REDIS_SERVER is not None
        argv = [
            REDIS_SERVER,
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--dir",
            str(self.directory),
        ]
        argv += ["--appendonly", "yes", "--appendfsync", "always", "--save", ""]
        self.process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        client = aioredis.from_url(self.url)
        try:
            for _ in range(100):
                try:
                    if await client.ping():
                        return
                except (ConnectionError, OSError, aioredis.ConnectionError):
                    await asyncio.sleep(0.05)
            raise RuntimeError(f"redis-server on port {self.port} did not start")
        finally:
            await client.aclose()

    def crash(self) -> None:
        """SIGKILL: no shutdown save, only what the AOF already holds survives."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[OwnRedis]:
    if REDIS_SERVER is None:
        pytest.fail("redis-server is not installed: run `make setup` (the restart test needs "
                    "its own Redis)")
    server = OwnRedis(tmp_path)
    yield server
    server.stop()


async def test_everything_survives_a_redis_crash(own_redis: OwnRedis, peers, prefix: str) -> None:  # type: ignore[no-untyped-def]
    await own_redis.start()
    settings = make_settings(prefix, peers[0], redis_url=own_redis.url)
    app = create_app(settings)
    async with serve(app) as url:
        running = Handoff(url=url, state=app.state.handoff, settings=settings)
        async with running.service() as service:
            ids = []
            for _ in range(5):
                body = ticket_body(
                    reason="qualified_lead",
                    lead={"lead_type": "buy", "area": "Isola"},
                    opened_at=FUTURE,  # nothing overdue: the monitor leaves them alone
                )
                ids.append(
                    (await service.post("/api/handoff/tickets", json=body)).json()["ticket_id"]
                )
        agent = await running.staff("giulia", Role.agent)
        async with agent:
            token = agent.headers["Authorization"]
            await agent.post(f"/api/staff/tickets/{ids[0]}/claim")
            await agent.post(f"/api/staff/tickets/{ids[0]}/reply", json={"text": "Buongiorno"})
            await agent.post(f"/api/staff/tickets/{ids[1]}/claim")
            await agent.post(f"/api/staff/tickets/{ids[1]}/resolve", json={})
        before = {tid: await running.state.store.get(tid) for tid in ids}
        audit_before = await running.state.store.audit(count=1000)
        gates_before = [await running.state.tickets.gate(t.contact.phone) for t in before.values()]
    assert len(audit_before) == 5 + 2 + 1 + 1  # created x5, claimed x2, replied, resolved

    own_redis.crash()
    await own_redis.start()

    app = create_app(settings)
    async with serve(app) as url:
        state = app.state.handoff
        after = {tid: await state.store.get(tid) for tid in ids}
        assert after == before
        assert await state.store.audit(count=1000) == audit_before
        assert [await state.tickets.gate(t.contact.phone) for t in after.values()] == gates_before
        assert [g.mode for g in gates_before] == ["human", "bot", "human", "human", "human"]
        queue = await state.store.queue_ids("sales")
        assert queue == [tid for tid in ids[2:]]
        async with Handoff(url=url, state=state, settings=settings).service() as service:
            service.headers["Authorization"] = token
            me = await service.get("/api/staff/auth/me")
        assert me.status_code == 200 and me.json()["username"] == "giulia", "sessions survive too"
