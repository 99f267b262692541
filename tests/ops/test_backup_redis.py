"""scripts/backup-redis.sh: an RDB snapshot of a live AOF Redis restores every key.

The test starts its OWN redis-servers (free ports, temporary directories) and stops them by
their PIDs; the machine's Redis is never touched.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from redis import Redis

from tests.handoff.peers import free_port

ROOT = Path(__file__).resolve().parents[2]


@contextmanager
def redis_server(data: Path, *args: str) -> Iterator[int]:
    """A private redis-server on a free port, stopped (by its PID) afterwards."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.fail("redis-server is not installed: run `make setup`")
    port = free_port()
    process = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--dir",
                                str(data), *args], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    try:
        client = Redis(port=port)
        for _ in range(100):
            try:
                if client.ping():
                    break
            except OSError:
                time.sleep(0.05)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=10)


def _contents(client: Redis) -> dict[str, object]:
    return {
        "string": client.get("wabot:done:wamid.X"),
        "hash": client.hgetall("wabot:contact:393331234567"),
        "stream": [fields for _, fields in client.xrange("wabot:transcript:393331234567")],
        "zset": client.zrange("handoff:queue:sales", 0, -1, withscores=True),
        "tracker": Redis(port=client.connection_pool.connection_kwargs["port"], db=5).get(
            "rasa:tracker:393331234567"),
    }


def test_backup_of_a_live_aof_redis_restores_every_database(tmp_path: Path) -> None:
    live, restored, backups = tmp_path / "live", tmp_path / "restored", tmp_path / "backups"
    for directory in (live, restored):
        directory.mkdir()
    with redis_server(live, "--appendonly", "yes", "--save", "") as port:
        client = Redis(port=port)
        client.set("wabot:done:wamid.X", "1")
        client.hset("wabot:contact:393331234567", mapping={"language": "it", "consent": "on"})
        for n in range(50):
            client.xadd("wabot:transcript:393331234567", {"role": "customer", "text": f"m{n}"})
        client.zadd("handoff:queue:sales", {"T-000001": 1.5, "T-000002": 2.5})
        Redis(port=port, db=5).set("rasa:tracker:393331234567", '{"events": []}')
        before = _contents(client)
        run = subprocess.run([str(ROOT / "scripts/backup-redis.sh"),
                              f"redis://127.0.0.1:{port}/0", str(backups)],
                             capture_output=True, text=True, timeout=60, check=False)
        assert run.returncode == 0, run.stderr
    snapshot = Path(run.stdout.strip())
    digest = hashlib.sha256(snapshot.read_bytes()).hexdigest()
    assert Path(f"{snapshot}.sha256").read_text().split()[0] == digest
    shutil.copy(snapshot, restored / "dump.rdb")  # the restore of docs/OPERATIONS.md
    with redis_server(restored, "--appendonly", "no", "--save", "") as port:
        client = Redis(port=port)
        assert _contents(client) == before
        assert client.config_set("appendonly", "yes")  # back to AOF: rewritten from memory
        for _ in range(200):
            info = client.info("persistence")
            if info["aof_enabled"] and not info["aof_rewrite_in_progress"] and not info.get(
                "aof_rewrite_scheduled"
            ):
                break
            time.sleep(0.05)
        assert any((restored / "appendonlydir").iterdir())
