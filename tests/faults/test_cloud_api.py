"""WhatsApp Cloud API timeouts, 429 and 5xx: retried with backoff, then dead-lettered.

The fake Cloud API of the fault stack is told to fail the next sends to one contact; the
sender of the real hub retries them (exponential backoff with jitter, base 0.5 s), waits for
Meta's status after a timed-out send instead of sending twice, and after the last of 6 tries
moves the message to the dead-letter stream, from which ``wabot outbound retry-dead`` resends it.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

from redis.asyncio import Redis

from bot.stack import ROOT, Stack
from tests.faults.helpers import Meta, duplicates

SERVICE = {"Authorization": "Bearer dev-service-token"}
QUESTION = "a che ora aprite il sabato?"  # one FAQ answer, one message


async def _answer(meta: Meta, redis: Redis, contact: str) -> tuple[str, float]:
    started = time.monotonic()
    wamid = await meta.write(contact, QUESTION)
    await meta.wait_settled(redis, [wamid], timeout_s=90)
    return wamid, time.monotonic() - started


async def _attempts(redis: Redis, meta: Meta, message_id: str) -> int:
    return int(await redis.hget(meta.keys.outbound_message(message_id), "attempts") or 0)


async def test_429_and_5xx_are_retried_with_backoff_then_delivered_once(
    live: Stack, meta: Meta, stack_redis: Redis
) -> None:
    contact = meta.new_contact()
    await meta.fail_next(contact, status=429, code=130429, message="Rate limit hit", count=2)
    await meta.fail_next(contact, status=500, code=1, message="Internal error", count=1)
    await meta.fail_next(contact, status=503, code=2, message="Service unavailable", count=1)
    wamid, elapsed = await _answer(meta, stack_redis, contact)
    replies = await meta.replies_to(contact)
    expected = await meta.expected_message_ids(stack_redis, wamid)
    assert expected and sorted({r.message_id for r in replies}) == expected
    assert duplicates(replies) == []
    assert await _attempts(stack_redis, meta, expected[0]) == 4
    # four failed tries waited at least half of 0.5 + 1 + 2 + 4 s (jitter is 50-100 %)
    assert elapsed >= 0.5 * (0.5 + 1 + 2 + 4)


async def test_a_timed_out_send_that_meta_accepted_is_not_sent_again(
    live: Stack, meta: Meta, stack_redis: Redis
) -> None:
    contact = meta.new_contact()
    # Meta answers after 3 s (the hub gives up after 2 s) but has accepted the message.
    await meta.fail_next(contact, status=200, delay_s=3)
    wamid, _ = await _answer(meta, stack_redis, contact)
    replies = await meta.replies_to(contact)
    assert [r.message_id for r in replies] == await meta.expected_message_ids(stack_redis, wamid)
    assert duplicates(replies) == []
    message = await stack_redis.hgetall(meta.keys.outbound_message(f"{wamid}:0"))
    assert message["attempts"] == "1" and message["status"] in ("sent", "delivered", "read")


async def test_a_timed_out_send_that_meta_refused_is_retried(
    live: Stack, meta: Meta, stack_redis: Redis
) -> None:
    contact = meta.new_contact()
    await meta.fail_next(contact, status=500, code=1, message="slow failure", delay_s=3)
    wamid, _ = await _answer(meta, stack_redis, contact)
    replies = await meta.replies_to(contact)
    assert [r.message_id for r in replies] == await meta.expected_message_ids(stack_redis, wamid)
    assert await _attempts(stack_redis, meta, f"{wamid}:0") == 1


async def test_after_the_last_try_the_reply_is_dead_lettered_and_retry_dead_resends_it(
    live: Stack, meta: Meta, stack_redis: Redis
) -> None:
    contact = meta.new_contact()
    await meta.fail_next(contact, status=500, code=1, message="Internal error", count=6)
    wamid, _ = await _answer(meta, stack_redis, contact)
    message_id = f"{wamid}:0"
    assert await stack_redis.hget(meta.keys.outbound_message(message_id), "status") == "dead"
    assert await meta.replies_to(contact) == []
    letters = await meta.http.get(
        f"{meta.settings.public_url}/api/outbound/dead-letters", headers=SERVICE
    )
    assert message_id in [letter["message_id"] for letter in letters.json()]
    assert await _attempts(stack_redis, meta, message_id) == 6

    env = {**os.environ, "PYTHONPATH": str(ROOT), "BOT_REDIS_URL": live.ports.redis_url}
    resent = subprocess.run(
        [sys.executable, "-m", "bot.cli", "outbound", "retry-dead", "--id", message_id],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=False,
    )
    assert resent.returncode == 0, resent.stderr
    assert message_id in resent.stdout
    await meta.wait_settled(stack_redis, [wamid], timeout_s=30)
    replies = await meta.replies_to(contact)
    assert [r.message_id for r in replies] == [message_id]
