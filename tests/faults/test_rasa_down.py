"""Rasa down for 30 seconds: messages wait in Redis, one "one moment, please", then answers.

The webhook keeps answering 200 (the messages are in the inbound stream); the worker retries
Rasa with backoff while the shard waits, so the contact's messages stay in order; once the wait
passes ``BOT_WAIT_NOTICE_AFTER_S`` (20 s) the customer gets exactly one notice, and so does
another contact whose message waits behind it on the same shard.
"""

from __future__ import annotations

import asyncio
import time

from redis.asyncio import Redis

from bot.inbound import shard_of
from bot.replies import canned_reply
from bot.stack import Stack
from tests.faults.helpers import ANSWERED, Meta, duplicates

DOWN_S = 30.0


def _in_order(sequence: list[str]) -> list[str]:
    """The distinct values of ``sequence`` in their order of first appearance."""
    return list(dict.fromkeys(sequence))


async def test_rasa_down_for_30_s_messages_wait_then_are_answered_in_order_with_one_notice(
    live: Stack, meta: Meta, stack_redis: Redis
) -> None:
    contact = meta.new_contact()
    shards = meta.settings.inbound_shards
    behind = next(
        other
        for other in iter(meta.new_contact, None)
        if other != contact and shard_of(other, shards) == shard_of(contact, shards)
    )
    before = await meta.write(contact, "Ciao")
    await meta.wait_settled(stack_redis, [before], timeout_s=60, grace_s=0)
    live.kill("rasa")
    down_at = time.monotonic()
    waiting = []
    queued = ""
    for text in ANSWERED[1:4]:
        waiting.append(await meta.write(contact, text))  # accepted (200) while Rasa is down
        if not queued:
            queued = await meta.write(behind, "Buongiorno")  # waits behind `contact`'s message
        await asyncio.sleep(1.0)
    await asyncio.sleep(max(0.0, DOWN_S - (time.monotonic() - down_at)))
    during = await meta.replies_to(contact)
    assert [r.is_wait_notice for r in during if r.in_reply_to in waiting] == [True]
    assert [r.is_wait_notice for r in await meta.replies_to(behind)] == [True], (
        "the contact queued behind the stuck message is told to wait too"
    )

    live.revive("rasa")
    await meta.wait_settled(stack_redis, waiting, timeout_s=90)
    replies = await meta.replies_to(contact)
    notices = [r for r in replies if r.is_wait_notice]
    assert [n.text for n in notices] == [canned_reply("wait", "it")]
    answers = [r for r in replies if r.in_reply_to in waiting and not r.is_wait_notice]
    assert _in_order([r.in_reply_to for r in answers]) == waiting
    for wamid in waiting:
        expected = await meta.expected_message_ids(stack_redis, wamid)
        assert expected and [r.message_id for r in answers if r.in_reply_to == wamid] == expected
    assert duplicates(replies) == []
    await meta.wait_settled(stack_redis, [queued], timeout_s=60)
    behind_replies = await meta.replies_to(behind)
    assert [r.is_wait_notice for r in behind_replies][0] is True
    assert [r for r in behind_replies if not r.is_wait_notice], "then it is answered"
    assert sum(r.is_wait_notice for r in behind_replies) == 1
    assert duplicates(behind_replies) == []
