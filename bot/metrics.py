"""Prometheus metrics of the hub, served at ``/metrics`` (with the handoff service's).

Metric objects live in prometheus-client's default registry, the usual exception to the
no-global-state rule. Code paths call the small ``observe_*`` hooks below; gauges that
describe Redis (queue depth, dead letters) are read when ``/metrics`` is scraped.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, Histogram, generate_latest
from redis.asyncio import Redis

from bot.config import Settings
from bot.keys import Keys

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)

MESSAGES_IN = Counter(
    "wabot_messages_in_total", "Customer messages accepted by the webhook.", ["type"]
)
MESSAGES_OUT = Counter(
    "wabot_messages_out_total", "Messages accepted by the WhatsApp Cloud API.", ["origin"]
)
DEAD_LETTERED = Counter(
    "wabot_dead_letters_total", "Outbound messages moved to the dead letters after the last try."
)
WEBHOOK_LATENCY = Histogram(
    "wabot_webhook_seconds", "Time to acknowledge a webhook delivery.", buckets=LATENCY_BUCKETS
)
END_TO_END_LATENCY = Histogram(
    "wabot_end_to_end_seconds",
    "From the webhook accepting a message to the Cloud API accepting the reply.",
    buckets=LATENCY_BUCKETS,
)
RASA_LATENCY = Histogram(
    "wabot_rasa_seconds", "Rasa REST channel calls (successful ones).", buckets=LATENCY_BUCKETS
)
QUEUE_DEPTH = Gauge(
    "wabot_queue_depth", "Entries waiting or in progress per stream (lag + pending).", ["stream"]
)
DEAD_LETTERS = Gauge("wabot_dead_letters_waiting", "Entries in the dead-letter stream now.")


def observe_sent(origin: str, accepted_at: datetime | None) -> None:
    """One message part accepted by the Cloud API; the first part of a reply closes its loop."""
    MESSAGES_OUT.labels(origin=origin).inc()
    if accepted_at is not None:
        END_TO_END_LATENCY.observe((datetime.now(tz=UTC) - accepted_at).total_seconds())


async def _stream_depth(redis: Redis, stream: str) -> int:
    """Entries of the worker group not yet read plus those read but not acknowledged."""
    groups: Any = await redis.xinfo_groups(stream) if await redis.exists(stream) else []
    return sum(int(g.get("lag") or 0) + int(g.get("pending") or 0) for g in groups)


async def render(redis: Redis, keys: Keys, settings: Settings) -> tuple[bytes, str]:
    """Refresh the Redis gauges and return the exposition text and its content type."""
    for kind, shards in (("in", settings.inbound_shards), ("out", settings.outbound_shards)):
        for shard in range(shards):
            stream = keys.inbound_stream(shard) if kind == "in" else keys.outbound_stream(shard)
            QUEUE_DEPTH.labels(stream=f"{kind}:{shard}").set(await _stream_depth(redis, stream))
    DEAD_LETTERS.set(await redis.xlen(keys.dead_letters()))
    return generate_latest(), CONTENT_TYPE_LATEST
