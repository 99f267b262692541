"""A flood from one contact: 100 messages in 10 seconds, answered in order and paced, no crash.

One contact's messages go to one shard and are processed one at a time, in order. Replies to
one contact are paced by the sender's per-contact token bucket (Meta's pair rate limit; the
fault stack uses 20 at once then 4 per second), which the fake Cloud API enforces too by
answering 131056: no reply may need a second try.
"""

from __future__ import annotations

import asyncio
import time

import httpx
from redis.asyncio import Redis

from bot.stack import Stack
from tests.faults.conftest import HUB_ENV
from tests.faults.helpers import ANSWERED, Meta, duplicates

MESSAGES = 100
OVER_S = 10.0
BURST = int(HUB_ENV["BOT_PAIR_RATE_BURST"])
PER_S = float(HUB_ENV["BOT_PAIR_RATE_PER_S"])


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
    wamids = []
    started = time.monotonic()
    for index in range(MESSAGES):
        await asyncio.sleep(max(0.0, started + index * OVER_S / MESSAGES - time.monotonic()))
        wamids.append(await meta.write(contact, ANSWERED[index % len(ANSWERED)]))
    await meta.wait_settled(stack_redis, wamids, timeout_s=240)

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
    assert all(process.poll() is None for process in live.processes.values())
    async with httpx.AsyncClient() as http:
        assert (await http.get(f"{meta.settings.public_url}/readyz")).status_code == 200
