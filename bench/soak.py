"""Soak: N minutes at R messages/second from 1,000 contacts, with a Redis and a Rasa restart.

``make soak`` (``python -m bench.soak``; not part of ``make test`` or ``make bench``). It starts
its own stack on the ports of the environment (``HUB_PORT``, ``RASA_PORT``, ``ACTIONS_PORT``,
``REDIS_URL``; every process, Redis included, must be its own: it kills Redis at 30 % of the run
and Rasa at 60 %, by PID, and starts them again on the same AOF). Signed webhooks go to the hub
on 127.0.0.1 at the offered rate (an open loop, at most ``MAX_IN_FLIGHT`` deliveries in flight;
a delivery refused while Redis is down is retried like Meta does). Replies are read from the
fake Cloud API. After the load it waits at most ``SOAK_DRAIN_S`` for the backlog.

Reported: offered and achieved rates, p50/p99 webhook→first reply per minute (by the minute
the message was sent), inbound/outbound backlog over time, lost (accepted, and neither
answered, nor processed silently, nor still queued: counted from the streams and the message
keys at the end, not from Redis's ``lag``, which a restart can make wrong), duplicate replies,
dead letters, and the
RSS of each process (its process group) at the start and the end, as a table and as JSON
under ``var/bench/``. Parameters: ``SOAK_MINUTES`` (10), ``SOAK_RATE`` (80), ``SOAK_CONTACTS``
(1000), ``SOAK_DRAIN_S`` (180), or the same as flags.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import os
import shutil
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from redis.asyncio import Redis
from rich.console import Console
from rich.table import Table

from bench.bench_channel import STACK_MESSAGES, FakeCloudReader, _pct, _record_key
from bot.clients.http import fast_client
from bot.config import Settings
from bot.keys import Keys
from bot.simulator import (
    customer_writes,
    deliver_like_meta,
    message_envelope,
    new_inbound_wamid,
    text_message,
)
from bot.stack import ROOT, Stack, http_ok, port_open, redis_answers
from bot.whatsapp.redis_replies import entries as stream_entries
from bot.worker import GROUP

MAX_IN_FLIGHT = 800
SAMPLE_S = 10.0
PROCESSES = ("redis", "actions", "rasa", "hub")
FINAL = ("sent", "delivered", "read")
WAIT_NOTICE = ":99"  # message id suffix of the router's "one moment, please"
RESTARTED = ("redis", "rasa")  # their start and end RSS belong to different processes


@dataclass
class Soak:
    """What was offered and what came back."""

    minutes: float
    rate: float
    contacts: int
    started: float = 0.0
    load_ended: float = 0.0
    sent_at: dict[str, float] = field(default_factory=dict)  # wamid -> first attempt (wall)
    refused: int = 0  # never accepted (the bounded Meta-like retries gave up)
    answered_at: dict[str, float] = field(default_factory=dict)  # wamid -> first reply
    tags: collections.Counter[str] = field(default_factory=collections.Counter)
    samples: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    rss_start: dict[str, float] = field(default_factory=dict)
    rss_end: dict[str, float] = field(default_factory=dict)
    load_start: float = 0.0


def _group_rss_mb(pid: int) -> float:
    """Resident memory of a process group (the process and its children), in MB."""
    total_kb = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            pgrp = int(stat.rsplit(")", 1)[1].split()[2])
            if pgrp != pid:
                continue
            for line in (entry / "status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total_kb += int(line.split()[1])
        except (OSError, ValueError, IndexError):
            continue
    return round(total_kb / 1024, 1)


def rss(stack: Stack) -> dict[str, float]:
    """RSS of each process of the stack, in MB."""
    return {name: _group_rss_mb(stack.processes[name].pid) for name in PROCESSES}


async def backlog(redis: Redis, keys: Keys, settings: Settings, cap: int = 1) -> dict[str, int]:
    """Entries not yet read plus read but unacknowledged, inbound and outbound.

    Where Redis cannot tell the lag, at most ``cap`` unread entries per stream are counted
    (reading a whole backlog every few seconds would load the Redis being measured).
    """
    found = {"inbound": 0, "outbound": 0}
    streams = [("inbound", keys.inbound_stream(s)) for s in range(settings.inbound_shards)]
    streams += [("outbound", keys.outbound_stream(s)) for s in range(settings.outbound_shards)]
    for kind, stream in streams:
        try:
            groups = await redis.xinfo_groups(stream)
        except Exception:  # noqa: BLE001 - stream not created yet, or Redis restarting
            continue
        for group in groups:
            if group.get("name") == GROUP:
                lag = await _lag(redis, stream, group, cap)
                found[kind] += lag + int(group.get("pending") or 0)
    return found


async def _lag(redis: Redis, stream: str, group: dict[str, Any], cap: int) -> int:
    """Entries the group has not read yet.

    Redis leaves ``lag`` unset when it cannot compute it (e.g. after loading the AOF); then
    the entries after the last delivered id are counted, at most ``cap``.
    """
    if group.get("lag") is not None:
        return int(group["lag"])
    last = str(group["last-delivered-id"])
    return len(stream_entries(await redis.xrange(stream, min=f"({last}", max="+", count=cap)))


async def _unprocessed_wamids(redis: Redis, keys: Keys, settings: Settings) -> set[str]:
    """Inbound wamids still in the streams' backlog (after the group's last delivered entry)."""
    waiting: set[str] = set()
    for shard in range(settings.inbound_shards):
        stream = keys.inbound_stream(shard)
        groups = [g for g in await redis.xinfo_groups(stream) if g.get("name") == GROUP]
        if not groups:
            continue
        last = str(groups[0]["last-delivered-id"])
        pending = await redis.xpending_range(stream, GROUP, min="-", max="+", count=100_000)
        ids = {str(p["message_id"]) for p in pending}
        entries = stream_entries(await redis.xrange(stream, min=f"({last}", max="+"))
        for entry_id in ids:
            entries += stream_entries(await redis.xrange(stream, min=entry_id, max=entry_id))
        for _, fields in entries:
            waiting.add(json.loads(fields["item"])["wamid"])
    return waiting


async def classify(redis: Redis, keys: Keys, settings: Settings, soak: Soak) -> dict[str, int]:
    """Sort the unanswered messages: silent, still queued (in or out), dead, lost."""
    unanswered = [w for w in soak.sent_at if w not in soak.answered_at]
    counts = collections.Counter[str]()
    queued_in = await _unprocessed_wamids(redis, keys, settings)
    for start in range(0, len(unanswered), 1000):
        chunk = unanswered[start : start + 1000]
        pipe = redis.pipeline(transaction=False)
        for wamid in chunk:
            pipe.exists(keys.done(wamid))
            pipe.get(keys.bot_replies(wamid))
            pipe.hget(keys.outbound_message(f"{wamid}:0"), "status")
        found = await pipe.execute()
        for index, wamid in enumerate(chunk):
            done, stored, status = found[3 * index : 3 * index + 3]
            if wamid in queued_in:
                counts["backlog_inbound"] += 1
            elif not done:
                counts["lost"] += 1
            elif status is None and not json.loads(stored or "[]"):
                counts["silent"] += 1
            elif status in FINAL:  # sent after the collector stopped reading
                counts["answered_late"] += 1
            elif status in ("queued", "awaiting_window"):
                counts["backlog_outbound"] += 1
            elif status == "dead":
                counts["dead"] += 1
            else:
                counts["lost"] += 1
    kinds = ("silent", "answered_late", "backlog_inbound", "backlog_outbound", "dead", "lost")
    return {kind: counts[kind] for kind in kinds}


def per_minute(soak: Soak) -> list[dict[str, Any]]:
    """Offered, answered, p50 and p99 latency by the minute the message was sent."""
    offered: dict[int, int] = collections.Counter()
    latencies: dict[int, list[float]] = collections.defaultdict(list)
    for wamid, sent in soak.sent_at.items():
        minute = int((sent - soak.started) // 60)
        offered[minute] += 1
        if wamid in soak.answered_at:
            latencies[minute].append(soak.answered_at[wamid] - sent)
    replies: dict[int, int] = collections.Counter(
        int((t - soak.started) // 60) for t in soak.answered_at.values()
    )
    rows = []
    for minute in sorted(offered):
        values = latencies[minute]
        rows.append(
            {
                "minute": minute + 1,
                "offered": offered[minute],
                "answered": len(values),
                "replies_per_s": round(replies[minute] / 60, 1),
                "p50_ms": round(_pct(values, 0.5) * 1000) if values else None,
                "p99_ms": round(_pct(values, 0.99) * 1000) if values else None,
            }
        )
    return rows


class Runner:
    """Drives one soak against a stack it started itself."""

    def __init__(self, soak: Soak, stack: Stack, settings: Settings) -> None:
        self.soak = soak
        self.stack = stack
        self.settings = settings
        self.keys = Keys(settings.key_prefix)
        self.redis = Redis.from_url(stack.ports.redis_url, decode_responses=True)
        self.run_id = f"{int(time.time()) % 100000:05d}"
        self.loading = True

    async def send(self, http: httpx.AsyncClient, index: int) -> None:
        """One customer message through the signed webhook (retried like Meta)."""
        contact = f"3937{self.run_id}{index % self.soak.contacts:04d}"
        wamid = new_inbound_wamid()
        text = STACK_MESSAGES[(index // self.soak.contacts + index) % len(STACK_MESSAGES)]
        self.soak.sent_at[wamid] = time.time()  # before sending: a reply may come back first
        status = await customer_writes(
            http, self.settings, contact=contact, text=text, name="Soak", wamid=wamid
        )
        if status != 200:
            self.soak.refused += 1
            del self.soak.sent_at[wamid]

    async def load(self, http: httpx.AsyncClient) -> None:
        """Offer ``rate`` messages per second for ``minutes`` (open loop, bounded in flight)."""
        gate = asyncio.Semaphore(MAX_IN_FLIGHT)
        total = int(self.soak.rate * self.soak.minutes * 60)
        start = time.perf_counter()
        tasks = []

        async def one(index: int) -> None:
            async with gate:
                await self.send(http, index)

        for index in range(total):
            delay = start + index / self.soak.rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(index)))
        await asyncio.gather(*tasks)

    async def collect(self, http: httpx.AsyncClient, stop: asyncio.Event) -> None:
        """Read what the fake Cloud API accepted: first reply per message, duplicate parts."""
        reader = FakeCloudReader(http, self.settings.cloud_api_base)
        await reader.skip_existing()
        while not stop.is_set():
            try:
                rows = await reader.poll()
            except (httpx.HTTPError, ValueError):
                rows = []
            for record in rows:
                key = _record_key(record)
                if key is None or key[0] not in self.soak.sent_at:
                    continue
                self.soak.tags[key[1]] += 1
                if not key[1].split("#")[0].endswith(WAIT_NOTICE):  # not an answer
                    self.soak.answered_at.setdefault(key[0], float(record["ts"]))
            await asyncio.sleep(0.5)

    async def sample(self, stop: asyncio.Event) -> None:
        """Every 10 s: accepted and answered so far, stream lag and RSS.

        After the Redis restart Redis may not know the lag any more; the sample then counts at
        most one unread entry per stream (a lower bound): ``unanswered`` is the backlog to read.
        """
        while not stop.is_set():
            try:
                queued = await backlog(self.redis, self.keys, self.settings)
            except Exception:  # noqa: BLE001 - Redis restarting
                queued = {"inbound": -1, "outbound": -1}
            self.soak.samples.append(
                {
                    "t_s": round(time.time() - self.soak.started),
                    "sent": len(self.soak.sent_at),
                    "answered": len(self.soak.answered_at),
                    "unanswered": len(self.soak.sent_at) - len(self.soak.answered_at),
                    **{f"stream_lag_{kind}": count for kind, count in queued.items()},
                    "rss_mb": rss(self.stack),
                }
            )
            await asyncio.sleep(SAMPLE_S)

    async def faults(self) -> None:
        """Kill Redis at 30 % of the run and Rasa at 60 %, and start each again."""
        duration = self.soak.minutes * 60
        for name, at in (("redis", 0.3 * duration), ("rasa", 0.6 * duration)):
            await asyncio.sleep(max(0.0, self.soak.started + at - time.time()))
            began = time.time()
            await asyncio.to_thread(self.stack.kill, name)
            await asyncio.sleep(1.0)
            await asyncio.to_thread(self.stack.revive, name)  # starts it and waits until healthy
            self.soak.events.append(
                {
                    "process": name,
                    "killed_at_s": round(began - self.soak.started, 1),
                    "back_after_s": round(time.time() - began, 1),
                }
            )

    async def drain(self, drain_s: float) -> None:
        """Wait (bounded) until every accepted message is answered or both backlogs are empty."""
        deadline = time.monotonic() + drain_s
        while time.monotonic() < deadline:
            if len(self.soak.answered_at) >= len(self.soak.sent_at):
                break
            queued = await backlog(self.redis, self.keys, self.settings)
            if queued["inbound"] == 0 and queued["outbound"] == 0:
                break
            await asyncio.sleep(2.0)
        await asyncio.sleep(3.0)  # a late duplicate would show up now

    async def warm_up(self, http: httpx.AsyncClient) -> None:
        """One answered message per text, so every model is loaded before RSS is measured."""
        contact = f"3936{self.run_id}0000"
        for text in STACK_MESSAGES:
            envelope = message_envelope(
                self.settings, contact=contact, name="Warm-up", message=text_message(text)
            )
            before = len(
                (
                    await http.get(f"{self.settings.cloud_api_base}/_sent", params={"to": contact})
                ).json()
            )
            await deliver_like_meta(http, self.settings, envelope, retry_for_s=30)
            for _ in range(600):
                sent = (
                    await http.get(f"{self.settings.cloud_api_base}/_sent", params={"to": contact})
                ).json()
                if len(sent) > before:
                    break
                await asyncio.sleep(0.1)

    async def run(self, drain_s: float) -> dict[str, Any]:
        """Warm up, load with the two restarts, drain, classify."""
        async with fast_client(10.0, max_connections=MAX_IN_FLIGHT) as http:
            await self.warm_up(http)
            stop = asyncio.Event()
            collector = asyncio.create_task(self.collect(http, stop))
            self.soak.rss_start = rss(self.stack)
            self.soak.load_start = os.getloadavg()[0]
            self.soak.started = time.time()
            sampler = asyncio.create_task(self.sample(stop))
            faults = asyncio.create_task(self.faults())
            load = asyncio.create_task(self.load(http))
            # A fault step that fails (a process that does not come back) ends the run at once
            # instead of leaving the load to retry against a dead Redis until the bound.
            await asyncio.wait({faults, load}, return_when=asyncio.FIRST_EXCEPTION)
            if faults.done() and faults.exception() is not None:
                load.cancel()
                stop.set()
                await asyncio.gather(load, collector, sampler, return_exceptions=True)
                raise faults.exception()  # type: ignore[misc]
            await load
            self.soak.load_ended = time.time()
            await faults
            await self.drain(drain_s)
            drained_at = time.time()
            self.soak.rss_end = rss(self.stack)
            stop.set()
            await asyncio.gather(collector, sampler)
            final_backlog = await backlog(self.redis, self.keys, self.settings, cap=100_000)
            outcome = await classify(self.redis, self.keys, self.settings, self.soak)
        await self.redis.aclose()
        return report(self.soak, outcome, final_backlog, drained_at)


def report(
    soak: Soak, outcome: dict[str, int], final_backlog: dict[str, int], drained_at: float
) -> dict[str, Any]:
    """Every figure of the run, JSON-ready."""
    load_s = soak.load_ended - soak.started
    first_replies = sorted(soak.answered_at.values())
    span = (first_replies[-1] - soak.started) if first_replies else 1.0
    during_load = sum(1 for t in first_replies if t <= soak.load_ended)
    growth = {
        name: round(100 * (soak.rss_end[name] / soak.rss_start[name] - 1), 1)
        for name in PROCESSES
        if soak.rss_start.get(name)
    }
    latencies = [soak.answered_at[w] - soak.sent_at[w] for w in soak.answered_at]
    return {
        "date": datetime.now(tz=UTC).isoformat(timespec="seconds"),
        "machine": f"{os.cpu_count()} cores shared with other jobs, load average (1 min) "
        f"{soak.load_start:.1f} at the start, {os.getloadavg()[0]:.1f} at the end",
        "parameters": {"minutes": soak.minutes, "rate": soak.rate, "contacts": soak.contacts},
        "offered": len(soak.sent_at) + soak.refused,
        "accepted": len(soak.sent_at),
        "refused": soak.refused,
        "offered_per_s": round((len(soak.sent_at) + soak.refused) / max(load_s, 1e-9), 1),
        "achieved_per_s_during_load": round(during_load / max(load_s, 1e-9), 1),
        "achieved_per_s_overall": round(len(first_replies) / max(span, 1e-9), 1),
        "answered": len(soak.answered_at),
        **outcome,
        "duplicates": sum(count - 1 for count in soak.tags.values() if count > 1),
        "p50_ms": round(_pct(latencies, 0.5) * 1000) if latencies else None,
        "p99_ms": round(_pct(latencies, 0.99) * 1000) if latencies else None,
        "drain_s": round(drained_at - soak.load_ended, 1),
        "stream_lag_at_end": final_backlog,
        "drained": outcome["backlog_inbound"] + outcome["backlog_outbound"] == 0,
        "restarts": soak.events,
        "rss_start_mb": soak.rss_start,
        "rss_end_mb": soak.rss_end,
        "rss_growth_pct": growth,
        "per_minute": per_minute(soak),
        "samples": soak.samples,
    }


def print_report(result: dict[str, Any]) -> None:
    """The summary and the per-minute table."""
    console = Console(width=140)
    summary = Table(title=f"soak {result['parameters']} — {result['date']}")
    summary.add_column("figure")
    summary.add_column("value")
    for key in (
        "offered",
        "offered_per_s",
        "achieved_per_s_during_load",
        "achieved_per_s_overall",
        "answered",
        "silent",
        "answered_late",
        "backlog_inbound",
        "backlog_outbound",
        "dead",
        "lost",
        "duplicates",
        "refused",
        "p50_ms",
        "p99_ms",
        "drain_s",
        "drained",
        "stream_lag_at_end",
        "restarts",
    ):
        summary.add_row(key, json.dumps(result[key]))
    for name in PROCESSES:
        note = " (restarted: a new process)" if name in RESTARTED else ""
        summary.add_row(
            f"RSS {name} MB{note}",
            f"{result['rss_start_mb'][name]} → {result['rss_end_mb'][name]} "
            f"({result['rss_growth_pct'].get(name, 'n/a')} %)",
        )
    console.print(summary)
    minutes = Table(title="per minute (by send time)")
    for column in ("minute", "offered", "answered", "replies_per_s", "p50_ms", "p99_ms"):
        minutes.add_column(column)
    for row in result["per_minute"]:
        minutes.add_row(
            *(
                str(row[c])
                for c in ("minute", "offered", "answered", "replies_per_s", "p50_ms", "p99_ms")
            )
        )
    console.print(minutes)


def _rss_text(result: dict[str, Any]) -> str:
    parts = []
    for name in PROCESSES:
        note = ", new process" if name in RESTARTED else ""
        growth = result["rss_growth_pct"].get(name, 0.0)
        parts.append(
            f"{name} {result['rss_start_mb'][name]:.0f} → {result['rss_end_mb'][name]:.0f} MB "
            f"({growth:+.1f} %{note})"
        )
    return ", ".join(parts)


def _summary_rows(result: dict[str, Any]) -> list[tuple[str, str]]:
    p, r = result["parameters"], result
    restarts = ", ".join(
        f"{e['process']} killed at {e['killed_at_s']:.0f} s, back after {e['back_after_s']:.0f} s"
        for e in r["restarts"]
    )
    queued = f"{r['backlog_inbound']} in, {r['backlog_outbound']} out"
    return [
        ("date, machine", f"{r['date']}, {r['machine']}"),
        ("parameters", f"{p['minutes']:g} min at {p['rate']:g} msg/s, {p['contacts']} contacts"),
        ("restarts", restarts),
        ("offered / accepted", f"{r['offered']} ({r['offered_per_s']} msg/s) / {r['accepted']}"),
        (
            "achieved (first replies/s)",
            f"{r['achieved_per_s_during_load']} during the load, "
            f"{r['achieved_per_s_overall']} overall",
        ),
        (
            "answered / silent / still queued",
            f"{r['answered'] + r['answered_late']} / {r['silent']} / {queued}",
        ),
        (
            "lost / duplicate replies / dead letters",
            f"**{r['lost']}** / **{r['duplicates']}** / {r['dead']}",
        ),
        ("p50 / p99 webhook → first reply", f"{r['p50_ms']} / {r['p99_ms']} ms"),
        (
            "backlog drained",
            f"{'yes' if r['drained'] else 'no'} (waited {r['drain_s']:.0f} s after the load)",
        ),
        ("RSS start → end", _rss_text(r)),
    ]


def markdown(result: dict[str, Any]) -> str:
    """The README's soak tables (``python -m bench.soak --markdown var/bench/soak.json``)."""
    lines = ["| figure | value |", "|---|---|"]
    lines += [f"| {key} | {value} |" for key, value in _summary_rows(result)]
    lines += ["", "| minute | offered | answered | replies/s | p50 ms | p99 ms |"]
    lines += ["|---|---|---|---|---|---|"]
    lines += [
        f"| {m['minute']} | {m['offered']} | {m['answered']} | {m['replies_per_s']} | "
        f"{m['p50_ms']} | {m['p99_ms']} |"
        for m in result["per_minute"]
    ]
    return "\n".join(lines)


def _own_stack() -> Stack:
    """A stack whose every process this run starts (it must be able to kill them)."""
    stack = Stack()
    busy = [
        name
        for name, up in (
            ("redis", redis_answers(stack.ports.redis_url)),
            ("rasa", port_open("127.0.0.1", stack.ports.rasa)),
            ("actions", port_open("127.0.0.1", stack.ports.actions)),
            ("hub", port_open("127.0.0.1", stack.ports.hub)),
        )
        if up
    ]
    if busy:
        raise SystemExit(
            f"the soak restarts Redis and Rasa, so it starts its own stack, but {busy} already "
            "answer on the configured ports: stop them, or set HUB_PORT, RASA_PORT, "
            "ACTIONS_PORT and REDIS_URL (another Redis port) for the soak"
        )
    stack.redis_data = ROOT / "var" / "soak-redis"  # never the user's data; fresh every run
    shutil.rmtree(stack.redis_data, ignore_errors=True)
    return stack


def main() -> None:
    """``python -m bench.soak [--minutes N] [--rate R] [--contacts C] [--drain S]``."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=float(os.environ.get("SOAK_MINUTES", 10)))
    parser.add_argument("--rate", type=float, default=float(os.environ.get("SOAK_RATE", 80)))
    parser.add_argument("--contacts", type=int, default=int(os.environ.get("SOAK_CONTACTS", 1000)))
    parser.add_argument("--drain", type=float, default=float(os.environ.get("SOAK_DRAIN_S", 180)))
    parser.add_argument("--markdown", type=Path, help="print a result file as README tables")
    args = parser.parse_args()
    if args.markdown:
        print(markdown(json.loads(args.markdown.read_text())))
        return
    if args.minutes <= 0 or args.rate <= 0 or args.contacts <= 0 or args.drain < 0:
        raise SystemExit("--minutes, --rate and --contacts must be positive, --drain >= 0")
    stack = _own_stack()
    stack.start()
    try:
        hub = f"http://127.0.0.1:{stack.ports.hub}"
        assert http_ok(f"{hub}/readyz"), "the stack is not ready"
        settings = Settings(public_url=hub, redis_url=stack.ports.redis_url)
        soak = Soak(minutes=args.minutes, rate=args.rate, contacts=args.contacts)
        result = asyncio.run(Runner(soak, stack, settings).run(args.drain))
    finally:
        stack.stop()
    out = ROOT / "var" / "bench"
    out.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(tz=UTC).strftime("%Y%m%dT%H%M%SZ")
    for path in (out / f"soak-{stamp}.json", out / "soak.json"):
        path.write_text(json.dumps(result, indent=2))
    print_report(result)
    print(f"written to {out / f'soak-{stamp}.json'}")


if __name__ == "__main__":
    main()
