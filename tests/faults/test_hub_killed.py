"""Hub killed (SIGKILL) mid-message: after the restart the message is answered exactly once.

Two moments: while Rasa is working on the message (Rasa is paused with SIGSTOP so the hub is
certainly waiting on it), and while the sender is calling the Cloud API (the fake API answers
late). The restarted hub takes the shard over when the dead one's lease expires, claims the
unacknowledged entry (XAUTOCLAIM) and finishes it; idempotency keys per inbound ``wamid`` keep
the reply single.
"""

from __future__ import annotations

import asyncio
import os
import signal

from redis.asyncio import Redis

from bot.inbound import shard_of
from bot.stack import Stack
from bot.worker import GROUP
from tests.faults.helpers import Meta, duplicates

QUESTION = "dove si trova l'agenzia?"


async def _pending(redis: Redis, stream: str) -> int:
    if not await redis.exists(stream):
        return 0
    return int((await redis.xpending(stream, GROUP))["pending"])


async def _until_pending(redis: Redis, stream: str, timeout_s: float = 20.0) -> None:
    for _ in range(int(timeout_s / 0.1)):
        if await _pending(redis, stream):
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"no worker read {stream}")


async def _answered_once(meta: Meta, redis: Redis, contact: str, wamid: str) -> None:
    await meta.wait_settled(redis, [wamid], timeout_s=90)
    replies = await meta.replies_to(contact)
    expected = await meta.expected_message_ids(redis, wamid)
    assert expected and [r.message_id for r in replies] == expected
    assert duplicates(replies) == []


async def test_hub_killed_while_rasa_works_on_the_message_answers_it_once(
    live: Stack, meta: Meta, stack_redis: Redis
) -> None:
    contact = meta.new_contact()
    stream = meta.keys.inbound_stream(shard_of(contact, meta.settings.inbound_shards))
    rasa = live.processes["rasa"].pid
    os.killpg(rasa, signal.SIGSTOP)  # the hub's request hangs: it is mid-message
    try:
        wamid = await meta.write(contact, QUESTION)
        await _until_pending(stack_redis, stream)
        await asyncio.sleep(0.5)
        live.kill("hub")
    finally:
        os.killpg(rasa, signal.SIGCONT)
    assert not await stack_redis.exists(meta.keys.done(wamid))
    live.revive("hub")
    await _answered_once(meta, stack_redis, contact, wamid)
    assert await _pending(stack_redis, stream) == 0


async def test_hub_killed_while_sending_the_reply_sends_it_once(
    live: Stack, meta: Meta, stack_redis: Redis
) -> None:
    contact = meta.new_contact()
    await meta.fail_next(contact, status=200, delay_s=5)  # the Cloud API call hangs 5 s
    wamid = await meta.write(contact, QUESTION)
    key = meta.keys.outbound_message(f"{wamid}:0")
    for _ in range(200):
        if await stack_redis.hget(key, "inflight") is not None:
            break
        await asyncio.sleep(0.05)
    else:
        raise AssertionError("the reply was never sent")
    live.kill("hub")
    live.revive("hub")
    await _answered_once(meta, stack_redis, contact, wamid)
