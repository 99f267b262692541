"""A flood from one contact: 100 messages in 10 seconds, answered in order and paced, no crash.

One contact's messages go to one shard and are processed one at a time, in order. Replies to
one contact are paced by the sender's per-contact token bucket (Meta's pair rate limit; the
fault stack uses 20 at once then 4 per second), which the fake Cloud API enforces too by
answering 131056: no reply may need a second try. A contact whose replies share the
flooder's outbound shard is answered meanwhile, not after the flood's paced replies.
"""

from __future__ import annotations

import asyncio
import time

import httpx
from redis.asyncio import Redis

from bot.inbound import shard_of
from bot.stack import Stack
from tests.faults.conftest import HUB_ENV
from tests.faults.helpers import ANSWERED, Meta, duplicates

MESSAGES = 100
OVER_S = 10.0
BURST = int(HUB_ENV["BOT_PAIR_RATE_BURST"])
PER_S = float(HUB_ENV["BOT_PAIR_RATE_PER_S"])


BACKLOG = 16


async def _queued(redis: Redis, meta: Meta, wamids: list[str]) -> int:
    """How many replies the router has queued for the flood's messages so far."""
    return sum([len(await meta.expected_message_ids(redis, wamid)) for wamid in wamids])


def _over_pace(times: list[float]) -> list[tuple[int, int]]:
    """Windows of sends that exceed the pair limit (50 ms allowed for clock and recording)."""
    return [
        (i, j)
        for i in range(len(times))
        for j in range(i + BURST, len(times))
        if j - i + 1 > BURST + PER_S * (times[j] - times[i] + 0.05)
    ]


async def test_100_messages_in_10_s_from_one_contact_are_answered_in_order_and_paced(
    live: Stack, meta: Meta, stack_redis: Redis
) -> None:
    contact = meta.new_contact()
    settings = meta.settings
    neighbour = next(
        other
        for other in iter(meta.new_contact, None)
        if shard_of(other, settings.outbound_shards) == shard_of(contact, settings.outbound_shards)
        and shard_of(other, settings.inbound_shards) != shard_of(contact, settings.inbound_shards)
    )
    wamids = []
    started = time.monotonic()
    for index in range(MESSAGES):
        await asyncio.sleep(max(0.0, started + index * OVER_S / MESSAGES - time.monotonic()))
        wamids.append(await meta.write(contact, ANSWERED[index % len(ANSWERED)]))
    # The neighbour writes once at least BACKLOG of the flood's replies wait to be paced on the
    # outbound shard they share (BACKLOG / PER_S seconds of waiting if it queued behind them).
    deadline = time.monotonic() + 60
    while await _queued(stack_redis, meta, wamids) - len(await meta.replies_to(contact)) < BACKLOG:
        assert time.monotonic() < deadline, "the flood never built a backlog of replies"
        await asyncio.sleep(0.1)
    neighbour_wrote = time.time()
    neighbour_wamid = await meta.write(neighbour, "Ciao")
    await meta.wait_settled(stack_redis, [*wamids, neighbour_wamid], timeout_s=240)

    replies = await meta.replies_to(contact)
    assert duplicates(replies) == []
    expected = [m for w in wamids for m in await meta.expected_message_ids(stack_redis, w)]
    assert len(expected) >= MESSAGES
    assert [r.message_id for r in replies] == expected  # every reply, in the customers' order
    pipe = stack_redis.pipeline(transaction=False)
    for message_id in expected:
        pipe.hget(meta.keys.outbound_message(message_id), "attempts")
    assert set(await pipe.execute()) == {"0"}  # never refused with 131056
    assert _over_pace(sorted(r.ts for r in replies)) == []
    first_answer = min(r.ts for r in await meta.replies_to(neighbour))
    assert first_answer - neighbour_wrote < BACKLOG / PER_S / 2, (
        "the neighbour waited behind the flood's paced replies"
    )
    assert first_answer < max(r.ts for r in replies), "answered while the flood was still paced"
    assert all(process.poll() is None for process in live.processes.values())
    async with httpx.AsyncClient() as http:
        assert (await http.get(f"{meta.settings.public_url}/readyz")).status_code == 200
