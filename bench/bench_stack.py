"""Spine benchmarks: rasa train time, /model/parse latency, webhook-to-reply, memory.

Baseline in the same run: the same trained model answering Rasa's REST channel directly
(what a user would deploy with Rasa alone); the hub's end-to-end latency is reported as a
ratio against it.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from bench.bench_nlu import train_project
from bot.config import Settings
from bot.simulator import message_envelope, new_inbound_wamid, text_message, webhook_request
from bot.stack import ROOT, Stack

MESSAGES = [
    "Ciao",
    "a che ora aprite sabato?",
    "vorrei comprare casa",
    "Navigli",
    "350k",
    "Hi there",
    "do you allow pets in rentals?",
    "I want to rent a flat",
    "Isola",
    "1200 a month",
]


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def train_time() -> dict[str, Any]:
    """Wall time of a full ``rasa train`` of the project (forced, into a temp dir)."""
    with tempfile.TemporaryDirectory(prefix="wabot-train-") as work:
        _, seconds = train_project(Path(work))
    return {
        "metric": "rasa train (whole project)",
        "value": round(seconds, 1),
        "unit": "s",
        "note": "goal <= 120 s",
    }


def parse_latency(rasa_url: str, n: int = 200) -> list[dict[str, Any]]:
    """p50/p99 of /model/parse, sequential."""
    times = []
    with httpx.Client(timeout=30) as http:
        for i in range(n):
            started = time.perf_counter()
            http.post(f"{rasa_url}/model/parse", json={"text": MESSAGES[i % len(MESSAGES)]})
            times.append((time.perf_counter() - started) * 1000)
    return [
        {"metric": "/model/parse p50", "value": round(_pct(times, 0.5), 1), "unit": "ms"},
        {"metric": "/model/parse p99", "value": round(_pct(times, 0.99), 1), "unit": "ms"},
    ]


def bare_rasa_latency(rasa_url: str, n: int) -> list[float]:
    """Baseline: REST channel of the same model, no hub (Rasa alone)."""
    times = []
    with httpx.Client(timeout=30) as http:
        for i in range(n):
            sender = f"bench-bare-{i // len(MESSAGES)}-{time.time_ns()}"
            started = time.perf_counter()
            http.post(
                f"{rasa_url}/webhooks/rest/webhook",
                json={"sender": sender, "message": MESSAGES[i % len(MESSAGES)]},
            )
            times.append((time.perf_counter() - started) * 1000)
    return times


def webhook_to_reply(settings: Settings, n: int) -> list[float]:
    """Signed webhook in → first reply received by the fake Cloud API, sequential."""
    times = []
    with httpx.Client(timeout=30) as http:
        for i in range(n):
            contact = f"39399{i // len(MESSAGES):03d}{time.time_ns() % 10**4:04d}"
            wamid = new_inbound_wamid()
            envelope = message_envelope(
                settings,
                contact=contact,
                name="Bench",
                message=text_message(MESSAGES[i % len(MESSAGES)]),
                sent_at=datetime.now(tz=UTC),
                wamid=wamid,
            )
            url, headers, body = webhook_request(settings, envelope)
            started = time.time()
            http.post(url, headers=headers, content=body)
            deadline = started + 30
            while time.time() < deadline:
                sent = http.get(f"{settings.cloud_api_base}/_sent", params={"to": contact}).json()
                if sent:
                    times.append((sent[0]["ts"] - started) * 1000)
                    break
                time.sleep(0.002)
    return times


def memory(stack: Stack) -> list[dict[str, Any]]:
    """Resident memory of each process of the stack (from /proc)."""
    rows = []
    total = 0.0
    for name in ("rasa", "actions", "hub"):
        pid_file = ROOT / "var" / "run" / f"{name}.pid"
        if not pid_file.exists():
            continue
        status = Path(f"/proc/{pid_file.read_text().strip()}/status")
        if not status.exists():
            continue
        rss_kb = next(
            int(line.split()[1])
            for line in status.read_text().splitlines()
            if line.startswith("VmRSS")
        )
        total += rss_kb / 1024
        rows.append({"metric": f"RSS {name}", "value": round(rss_kb / 1024), "unit": "MB"})
    rows.append(
        {
            "metric": "RSS all processes",
            "value": round(total),
            "unit": "MB",
            "note": "goal <= 2560 MB",
        }
    )
    return rows


def run() -> list[dict[str, Any]]:
    """All spine benchmarks, the stack started (or reused) for the measurements."""
    rows = [train_time()]
    stack = Stack()
    stack.start()
    try:
        rasa_url = f"http://127.0.0.1:{stack.ports.rasa}"
        settings = Settings(public_url=f"http://127.0.0.1:{stack.ports.hub}")
        rows += parse_latency(rasa_url)
        n = 100
        bare = bare_rasa_latency(rasa_url, n)
        hub = webhook_to_reply(settings, n)
        for q, label in ((0.5, "p50"), (0.99, "p99")):
            base = _pct(bare, q)
            value = _pct(hub, q)
            rows.append(
                {
                    "metric": f"webhook→reply {label} (sequential)",
                    "value": round(value, 1),
                    "unit": "ms",
                    "baseline": f"{base:.1f} ms (Rasa REST alone)",
                    "ratio": round(value / base, 2),
                }
            )
        rows.append(
            {
                "metric": "messages measured",
                "value": len(hub),
                "unit": "",
                "note": f"median of bare {statistics.median(bare):.1f} ms",
            }
        )
        rows += memory(stack)
    finally:
        stack.stop()
    return rows
