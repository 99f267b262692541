"""WhatsApp channel benchmarks: webhook acknowledgement and end-to-end capacity vs plain Rasa.

(a) Webhook acknowledgement: signed deliveries at 200 requests/second (open loop, loopback),
    p50/p99 of the 200 answer.
(b) End to end: 500 contacts writing at 20, 40, 80 and 120 messages/second (60 s each; 10 s with
    ``WABOT_BENCH_QUICK=1``) through signed webhooks to the running stack; a message counts as
    answered when the fake Cloud API recorded its first reply (``ts`` of the fake API, matched by
    ``biz_opaque_callback_data``). Achieved throughput, p50/p99, lost, duplicates. The hub keeps
    every message in Redis, so an overloaded level's backlog is waited for (up to ``DRAIN_S``)
    before the next level: "lost" is never answered, not merely late.
(c) Baseline, same run, same rates: a default ``rasa init`` assistant served by one ``rasa run``
    on its REST channel (what a user deploys with Rasa alone); there, "lost" is a request that
    failed or timed out (30 s), since nothing queues a message Rasa did not answer.

The capacity is the highest offered rate held with p99 <= 1 s and nothing lost. Everything goes to
127.0.0.1; every loop is bounded (a fixed number of messages, a drain deadline).
"""

from __future__ import annotations

import asyncio
import collections
import json
import os
import random
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from bot.clients.http import fast_client
from bot.config import Settings
from bot.simulator import (
    message_envelope,
    new_inbound_wamid,
    reaction_message,
    text_message,
    webhook_request,
)
from bot.stack import ROOT, Stack, port_open

QUICK = os.environ.get("WABOT_BENCH_QUICK") == "1"
LEVEL_S = 10.0 if QUICK else 60.0
ACK_S = 5.0 if QUICK else 15.0
RATES = [20, 40, 80, 120]
CONTACTS = 500
MAX_IN_FLIGHT = 600
DRAIN_S = 120.0 if QUICK else 300.0  # an overloaded level's backlog may take this long to clear
SEQUENTIAL_N = 20 if QUICK else 50
BASELINE_PORT = int(os.environ.get("BENCH_BASELINE_PORT", "5015"))

# Messages the demo assistant answers without opening a form or handing off (FAQ, small talk).
STACK_MESSAGES = [
    "Ciao",
    "a che ora aprite il sabato?",
    "dove si trova l'agenzia?",
    "grazie mille",
    "Hi there",
    "do you allow pets in rentals?",
    "what are your opening hours on saturday?",
    "thanks",
    "c'è un parcheggio vicino?",
    "can you help me get a mortgage?",
]
# Messages of the default `rasa init` (moodbot) assistant.
BASELINE_MESSAGES = [
    "hi",
    "I am sad",
    "yes",
    "great",
    "bye",
    "are you a bot?",
    "hello",
    "very bad",
    "no",
]


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


@dataclass
class Level:
    """One offered rate: what was sent and what came back."""

    rate: float
    sent_at: dict[str, float] = field(default_factory=dict)  # id -> wall time sent
    answered_at: dict[str, float] = field(default_factory=dict)  # id -> first reply time
    errors: int = 0
    duplicates: int = 0
    silent: int = 0  # processed, and the assistant chose to say nothing
    started: float = 0.0

    def row(self, system: str) -> dict[str, Any]:
        """The measured figures of this level."""
        latencies = [self.answered_at[k] - self.sent_at[k] for k in self.answered_at]
        last = max(self.answered_at.values(), default=self.started)
        span = max(last - self.started, 1e-9)
        lost = len(self.sent_at) - len(self.answered_at) - self.silent
        return {
            "system": system,
            "rate": self.rate,
            "offered": len(self.sent_at),
            "achieved_per_s": round(len(self.answered_at) / span, 1),
            "p50_ms": round(_pct(latencies, 0.5) * 1000, 1),
            "p99_ms": round(_pct(latencies, 0.99) * 1000, 1),
            "lost": lost,
            "errors": self.errors,
            "duplicates": self.duplicates,
            "silent": self.silent,
        }


async def _open_loop(rate: float, count: int, send: Any) -> None:
    """Start ``send(i)`` at ``rate`` per second for ``count`` messages (bounded in flight)."""
    gate = asyncio.Semaphore(MAX_IN_FLIGHT)
    start = time.perf_counter()
    tasks = []

    async def _one(index: int) -> None:
        async with gate:
            await send(index)

    for index in range(count):
        delay = start + index / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(_one(index)))
    await asyncio.gather(*tasks)


# --- (a) webhook acknowledgement -------------------------------------------------------------


async def webhook_ack(settings: Settings, rate: float = 200.0) -> list[dict[str, Any]]:
    """p50/p99 of the webhook's 200 at ``rate`` deliveries per second (reactions: no Rasa)."""
    latencies: list[float] = []
    failures = 0
    async with fast_client(10.0, max_connections=256) as http:

        async def send(index: int) -> None:
            nonlocal failures
            contact = f"39377{index % CONTACTS:07d}"
            envelope = message_envelope(
                settings,
                contact=contact,
                name="Bench",
                message=reaction_message(new_inbound_wamid(), "👍"),
            )
            url, headers, body = webhook_request(settings, envelope)
            started = time.perf_counter()
            try:
                response = await http.post(url, headers=headers, content=body)
                ok = response.status_code == 200
            except httpx.HTTPError:
                ok = False
            if ok:
                latencies.append(time.perf_counter() - started)
            else:
                failures += 1

        began = time.perf_counter()
        await _open_loop(rate, int(rate * ACK_S), send)
        elapsed = time.perf_counter() - began
    note = f"{len(latencies)} deliveries in {elapsed:.1f}s, {failures} not 200"
    return [
        {
            "metric": f"webhook ack p50 @ {rate:.0f} req/s",
            "value": round(_pct(latencies, 0.5) * 1000, 2),
            "unit": "ms",
            "note": note,
        },
        {
            "metric": f"webhook ack p99 @ {rate:.0f} req/s",
            "value": round(_pct(latencies, 0.99) * 1000, 2),
            "unit": "ms",
            "note": "goal: answer before Rasa, well under Meta's timeout",
        },
    ]


# --- (b) end to end through the stack --------------------------------------------------------


class FakeCloudReader:
    """Reads what the fake Cloud API accepted since a given offset (one GET per poll)."""

    def __init__(self, http: httpx.AsyncClient, base: str) -> None:
        self._http = http
        self._base = base
        self.offset = 0

    async def skip_existing(self) -> None:
        """Start reading after what is already recorded."""
        while True:
            rows = await self.poll()
            if not rows:
                return

    async def poll(self) -> list[dict[str, Any]]:
        """New records since the last poll."""
        response = await self._http.get(f"{self._base}/_sent", params={"start": self.offset})
        response.raise_for_status()  # e.g. 503 while Redis restarts: not a list of records
        rows: list[dict[str, Any]] = response.json()
        self.offset += len(rows)
        return rows


def _record_key(record: dict[str, Any]) -> tuple[str, str] | None:
    """(inbound wamid, reply part tag) of a fake Cloud API record."""
    tag = str(record.get("payload", {}).get("biz_opaque_callback_data") or "")
    message_id, _, _ = tag.rpartition("#")
    wamid, sep, _ = message_id.rpartition(":")
    return (wamid, tag) if sep else None


async def stack_level(
    settings: Settings, rate: float, level_index: int, seconds: float = LEVEL_S
) -> Level:
    """Offer ``rate`` msg/s from 500 fresh contacts; collect first replies at the fake API."""
    level = Level(rate=rate)
    run = f"{int(time.time()) % 100000:05d}"
    async with fast_client(30.0, max_connections=256) as http:
        reader = FakeCloudReader(http, settings.cloud_api_base)
        await reader.skip_existing()
        tags: collections.Counter[str] = collections.Counter()
        done = asyncio.Event()

        async def collect() -> None:
            while not done.is_set():
                for record in await reader.poll():
                    key = _record_key(record)
                    if key is None or key[0] not in level.sent_at:
                        continue
                    tags[key[1]] += 1
                    level.answered_at.setdefault(key[0], float(record["ts"]))
                await asyncio.sleep(0.2)

        async def send(index: int) -> None:
            contact = f"39{level_index}{run}{index % CONTACTS:04d}"
            wamid = new_inbound_wamid()
            text = STACK_MESSAGES[(index // CONTACTS + index) % len(STACK_MESSAGES)]
            envelope = message_envelope(
                settings,
                contact=contact,
                name="Bench",
                message=text_message(text),
                sent_at=datetime.now(tz=UTC),
                wamid=wamid,
            )
            url, headers, body = webhook_request(settings, envelope)
            level.sent_at[wamid] = time.time()
            try:
                response = await http.post(url, headers=headers, content=body)
                if response.status_code != 200:
                    level.errors += 1
            except httpx.HTTPError:
                level.errors += 1

        collector = asyncio.create_task(collect())
        level.started = time.time()
        await _open_loop(rate, int(rate * seconds), send)
        deadline = time.monotonic() + DRAIN_S  # nothing is dropped: wait for the backlog
        while len(level.answered_at) < len(level.sent_at) and time.monotonic() < deadline:
            await asyncio.sleep(0.5)
        await asyncio.sleep(1.0)  # a late duplicate would show up now
        done.set()
        await collector
        level.duplicates = sum(count - 1 for count in tags.values() if count > 1)
        level.silent = await _processed_without_reply(http, settings, level)
    return level


async def _processed_without_reply(
    http: httpx.AsyncClient, settings: Settings, level: Level
) -> int:
    """Unanswered messages the hub did process and Rasa chose not to answer (not lost)."""
    silent = 0
    for wamid in [w for w in level.sent_at if w not in level.answered_at][:500]:
        progress = (await http.get(f"{settings.public_url}/api/simulator/inbound/{wamid}")).json()
        if progress.get("done") and progress.get("replies") == 0:
            silent += 1
    return silent


async def stack_sequential(settings: Settings, n: int, first: int = 0) -> list[float]:
    """One message at a time: webhook in → first reply at the fake Cloud API.

    The time is the fake Cloud API's own receipt stamp, so how often the reply is looked for
    does not change it; looking every 20 ms (not every few) keeps the polling from loading the
    hub that is being measured.
    """
    times = []
    async with fast_client(30.0) as http:
        for index in range(first, first + n):
            contact = f"39388{int(time.time()) % 10000:04d}{index:03d}"
            envelope = message_envelope(
                settings,
                contact=contact,
                name="Bench",
                message=text_message(STACK_MESSAGES[index % len(STACK_MESSAGES)]),
            )
            url, headers, body = webhook_request(settings, envelope)
            started = time.time()
            await http.post(url, headers=headers, content=body)
            deadline = started + 30
            while time.time() < deadline:
                rows = (
                    await http.get(f"{settings.cloud_api_base}/_sent", params={"to": contact})
                ).json()
                if rows:
                    times.append(rows[0]["ts"] - started)
                    break
                await asyncio.sleep(0.02)
    return times


async def rest_sequential(
    url: str, messages: list[str], n: int, first: int = 0, metadata: dict[str, str] | None = None
) -> list[float]:
    """One message at a time through a Rasa REST channel (the reply is in the response)."""
    times = []
    async with fast_client(30.0) as http:
        for index in range(first, first + n):
            started = time.time()
            body: dict[str, Any] = {
                "sender": f"bench-seq-{index}-{started}",
                "message": messages[index % len(messages)],
            }
            if metadata:
                body["metadata"] = metadata
            await http.post(f"{url}/webhooks/rest/webhook", json=body)
            times.append(time.time() - started)
    return times


async def sequential_rounds(
    settings: Settings, baseline: Baseline, n: int, rounds: int = 5
) -> tuple[list[float], list[float], list[float]]:
    """Stack, its bare Rasa and the baseline one after another, in ``rounds`` alternations.

    The machine's speed drifts (shared cores): alternating in small rounds gives the three the
    same conditions, so their ratio is not a comparison of two different minutes.
    """
    stack: list[float] = []
    rasa: list[float] = []
    base: list[float] = []
    per_round = max(1, n // rounds)
    for round_index in range(rounds):
        first = round_index * per_round
        stack += await stack_sequential(settings, per_round, first)
        rasa += await rest_sequential(  # the stack's own Rasa: this assistant, same messages
            settings.rasa_url, STACK_MESSAGES, per_round, first, {"language": "it"}
        )
        base += await baseline.sequential(per_round, first)
    return stack, rasa, base


# --- (c) baseline: a default `rasa init` assistant --------------------------------------------


class Baseline:
    """A default ``rasa init`` project trained in a temp dir and served by one ``rasa run``."""

    def __init__(self, port: int = BASELINE_PORT) -> None:
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.directory = Path(tempfile.mkdtemp(prefix="wabot-rasa-init-"))
        self.process: subprocess.Popen[bytes] | None = None
        self.train_s = 0.0

    def start(self) -> None:
        """``rasa init --no-prompt`` (creates and trains), then ``rasa run`` on the REST channel."""
        rasa = str(ROOT / ".venv-rasa/bin/rasa")
        env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
        began = time.monotonic()
        subprocess.run(
            [rasa, "init", "--no-prompt", "--init-dir", str(self.directory)],
            cwd=self.directory,
            env=env,
            check=True,
            capture_output=True,
        )
        self.train_s = time.monotonic() - began
        if port_open("127.0.0.1", self.port):
            raise SystemExit(f"port {self.port} is busy; set BENCH_BASELINE_PORT")
        log = (self.directory / "rasa-run.log").open("wb")
        self.process = subprocess.Popen(
            [rasa, "run", "-i", "127.0.0.1", "--port", str(self.port)],
            cwd=self.directory,
            env=env,
            stdout=log,
            stderr=log,
            start_new_session=True,
        )
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"rasa run exited; see {self.directory / 'rasa-run.log'}")
            try:
                if httpx.get(self.url, timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        raise SystemExit("the baseline rasa run did not start within 300 s")

    def stop(self) -> None:
        """Stop the server and remove the project."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
        shutil.rmtree(self.directory, ignore_errors=True)

    async def level(self, rate: float, level_index: int, seconds: float = LEVEL_S) -> Level:
        """Offer ``rate`` msg/s to the REST channel from 500 contacts; replies are synchronous."""
        level = Level(rate=rate)
        run = f"{int(time.time()) % 100000}-{level_index}"
        async with fast_client(30.0, max_connections=MAX_IN_FLIGHT) as http:

            async def send(index: int) -> None:
                key = f"{run}-{index}"
                body = {
                    "sender": f"bench-{run}-{index % CONTACTS}",
                    "message": random.choice(BASELINE_MESSAGES),
                }  # noqa: S311
                level.sent_at[key] = time.time()
                try:
                    response = await http.post(f"{self.url}/webhooks/rest/webhook", json=body)
                    if response.status_code == 200:  # an empty answer is still an answer
                        level.answered_at[key] = time.time()
                    else:
                        level.errors += 1
                except httpx.HTTPError:
                    level.errors += 1

            level.started = time.time()
            await _open_loop(rate, int(rate * seconds), send)
        return level

    async def sequential(self, n: int, first: int = 0) -> list[float]:
        """One message at a time through the REST channel."""
        return await rest_sequential(self.url, BASELINE_MESSAGES, n, first)


# --- report ----------------------------------------------------------------------------------


def capacity(levels: list[dict[str, Any]]) -> float:
    """Highest offered rate held with p99 <= 1 s and nothing lost (0 when none)."""
    held = [lv["rate"] for lv in levels if lv["lost"] == 0 and lv["p99_ms"] <= 1000]
    return max(held, default=0)


def _triple(level: dict[str, Any]) -> str:
    return f"{level['achieved_per_s']}/s {level['p50_ms']:.0f} {level['p99_ms']:.0f}"


def _level_rows(stack: list[dict[str, Any]], base: list[dict[str, Any]]) -> list[dict[str, Any]]:
    rows = []
    for ours, theirs in zip(stack, base, strict=True):
        rate = ours["rate"]
        rows.append(
            {
                "metric": f"e2e @ {rate} msg/s: achieved / p50 / p99",
                "value": _triple(ours),
                "unit": "msg/s ms ms",
                "baseline": _triple(theirs),
                "ratio": round(ours["p99_ms"] / theirs["p99_ms"], 2) if theirs["p99_ms"] else "",
                "note": f"stack lost {ours['lost']} dup {ours['duplicates']} err {ours['errors']}; "
                f"rasa init lost {theirs['lost']} err {theirs['errors']}",
            }
        )
    return rows


async def _measure(settings: Settings, baseline: Baseline) -> list[dict[str, Any]]:
    rows = await webhook_ack(settings)
    await asyncio.sleep(5)  # let the workers drain the reactions
    seq_stack, seq_rasa, seq_base = await sequential_rounds(settings, baseline, SEQUENTIAL_N)
    stack_levels, base_levels = [], []
    for index, rate in enumerate(RATES):
        stack_levels.append((await stack_level(settings, rate, index)).row("stack"))
        print(json.dumps(stack_levels[-1]), flush=True)
        base_levels.append((await baseline.level(rate, index)).row("rasa init"))
        print(json.dumps(base_levels[-1]), flush=True)
    ours, theirs = _pct(seq_stack, 0.5) * 1000, _pct(seq_base, 0.5) * 1000
    rows.append(
        {
            "metric": "sequential p50 (webhook → reply)",
            "value": round(ours, 1),
            "unit": "ms",
            "baseline": f"{theirs:.1f} ms (rasa init, REST)",
            "ratio": round(ours / theirs, 2),
            "note": f"goal ratio <= 1.1; this assistant's Rasa alone (REST, same messages): "
            f"{_pct(seq_rasa, 0.5) * 1000:.1f} ms",
        }
    )
    rows += _level_rows(stack_levels, base_levels)
    ours_cap, theirs_cap = capacity(stack_levels), capacity(base_levels)
    rows.append(
        {
            "metric": "capacity (p99 <= 1 s, nothing lost)",
            "value": ours_cap,
            "unit": "msg/s",
            "baseline": f"{theirs_cap} msg/s (rasa init)",
            "ratio": round(ours_cap / theirs_cap, 2) if theirs_cap else "",
            "note": f"goal 80 msg/s, >= 4x baseline; {LEVEL_S:.0f} s per level; "
            f"rasa init trained in {baseline.train_s:.0f} s",
        }
    )
    out = ROOT / "var" / "bench"
    out.mkdir(parents=True, exist_ok=True)
    (out / "channel_levels.json").write_text(
        json.dumps(
            {
                "stack": stack_levels,
                "baseline": base_levels,
                "sequential_stack_s": seq_stack,
                "sequential_baseline_s": seq_base,
                "sequential_rasa_s": seq_rasa,
            },
            indent=2,
        )
    )
    return rows


def run() -> list[dict[str, Any]]:
    """All channel benchmarks (the stack is started, or reused when running)."""
    stack = Stack()
    stack.start()
    baseline = Baseline()
    try:
        baseline.start()
        settings = Settings(
            public_url=f"http://127.0.0.1:{stack.ports.hub}",
            rasa_url=f"http://127.0.0.1:{stack.ports.rasa}",
        )
        return asyncio.run(_measure(settings, baseline))
    finally:
        baseline.stop()
        stack.stop()


if __name__ == "__main__":
    for result in run():
        print(json.dumps(result, ensure_ascii=False))
