"""CPU time per message, per process: what capacity costs, measured so a busy machine can't skew it.

Throughput on a 2-core machine depends on whatever else runs; CPU seconds spent per message by each
process do not (much). This suite offers a modest rate (``CPU_RATE``, default 10 msg/s, well under
capacity) of the channel benchmark's messages through signed webhooks to the running stack, reads
each process's user+system CPU time from ``/proc`` before and after, and divides by the messages
answered. The same is done for the baseline, a default ``rasa init`` assistant on its REST channel.
The stack's capacity bound on this machine is about ``cores * 1000 / total_cpu_ms`` messages/second.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from bench.bench_channel import Baseline, stack_level
from bot.config import Settings
from bot.stack import Ports, Stack

RATE = float(os.environ.get("CPU_RATE", "10"))
SECONDS = float(os.environ.get("CPU_SECONDS", "20"))
TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process and its reaped children."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    utime, stime, cutime, cstime = (int(v) for v in fields[11:15])
    return (utime + stime + cutime + cstime) / TICKS


def listening_pid(port: int) -> int | None:
    """PID of the process listening on 127.0.0.1:``port`` (from /proc, no extra package)."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == port:
                inodes.add(fields[9])
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            for fd in (proc / "fd").iterdir():
                link = os.readlink(fd)
                if link.startswith("socket:[") and link[8:-1] in inodes:
                    return int(proc.name)
        except OSError:
            continue
    return None


def stack_pids() -> dict[str, int]:
    """PIDs of the running stack's Rasa, action server, hub and Redis, found by their ports."""
    ports = Ports()
    redis_port = urlparse(ports.redis_url).port or 6379
    pids = {}
    for name, port in (
        ("rasa", ports.rasa),
        ("actions", ports.actions),
        ("hub", ports.hub),
        ("redis", redis_port),
    ):
        pid = listening_pid(port)
        if pid is None:
            raise SystemExit(f"nothing listens on port {port} ({name}): start the stack (make run)")
        pids[name] = pid
    return pids


async def _measure_stack(settings: Settings) -> dict[str, float]:
    pids = stack_pids()
    await stack_level(settings, RATE, 6, seconds=3.0)  # warm-up: lazy model loads, connections
    before = {name: cpu_seconds(pid) for name, pid in pids.items()}
    level = await stack_level(settings, RATE, 7, seconds=SECONDS)
    after = {name: cpu_seconds(pid) for name, pid in pids.items()}
    answered = max(1, len(level.answered_at))
    return {name: (after[name] - before[name]) * 1000 / answered for name in pids}


async def _measure_baseline(baseline: Baseline) -> float:
    assert baseline.process is not None
    await baseline.level(RATE, 6, seconds=3.0)  # warm-up
    before = cpu_seconds(baseline.process.pid)
    level = await baseline.level(RATE, 7, seconds=SECONDS)
    after = cpu_seconds(baseline.process.pid)
    return (after - before) * 1000 / max(1, len(level.answered_at))


def run() -> list[dict[str, Any]]:
    """CPU ms per answered message for each process, and the baseline's."""
    stack = Stack()  # the stack of HUB_PORT: reused when running, else started (and stopped)
    stack.start()
    try:
        settings = Settings(public_url=f"http://127.0.0.1:{stack.ports.hub}")
        per_process = asyncio.run(_measure_stack(settings))
    finally:
        stack.stop()
    baseline = Baseline()
    baseline.start()
    try:
        base_ms = asyncio.run(_measure_baseline(baseline))
    finally:
        baseline.stop()
    total = sum(per_process.values())
    rows: list[dict[str, Any]] = [
        {"metric": f"cpu per message: {name}", "value": round(ms, 1), "unit": "ms"}
        for name, ms in per_process.items()
    ]
    rows.append(
        {
            "metric": "cpu per message: whole stack",
            "value": round(total, 1),
            "unit": "ms",
            "baseline": round(base_ms, 1),
            "ratio": round(total / base_ms, 2) if base_ms else "",
            "note": f"baseline: rasa init on REST; bound ~{2000 / total:.0f} msg/s on 2 cores",
        }
    )
    return rows
