"""Action server down: Rasa still answers what it can, the hub says the rest plainly; recovery.

Rasa 3.6 runs a turn whose custom action cannot be reached, logs the error and drops the
action's replies (FAQ answers, form questions, the handoff): the customer would get silence.
The router notices an empty answer while the action server is down and sends a short apology
instead; when the action server is back, the same question gets its real answer.
"""

from __future__ import annotations

import httpx
from redis.asyncio import Redis

from bot.replies import canned_reply
from bot.stack import Stack
from tests.faults.helpers import Meta, Reply, duplicates

FAQ = "a che ora aprite il sabato?"


def _texts(replies: list[Reply], wamid: str) -> list[str]:
    return [r.text for r in replies if r.in_reply_to == wamid]


async def test_action_server_down_gets_a_sensible_reply_then_recovers(
    live: Stack, meta: Meta, stack_redis: Redis
) -> None:
    contact = meta.new_contact()
    live.kill("actions")
    faq = await meta.write(contact, FAQ)
    greeting = await meta.write(contact, "Ciao")  # Rasa's own response, no custom action
    await meta.wait_settled(stack_redis, [faq, greeting], timeout_s=60)
    replies = await meta.replies_to(contact)
    assert _texts(replies, faq) == [canned_reply("actions_down", "it")]
    assert [t[:5] for t in _texts(replies, greeting)] == ["Ciao!"]
    assert all(live.processes[name].poll() is None for name in ("redis", "rasa", "hub"))
    async with httpx.AsyncClient(base_url=meta.settings.public_url) as http:
        ready = await http.get("/readyz")
    assert ready.status_code == 503 and ready.json()["actions"] is False

    live.revive("actions")
    again = await meta.write(contact, FAQ)
    await meta.wait_settled(stack_redis, [again], timeout_s=60)
    replies = await meta.replies_to(contact)
    answer = _texts(replies, again)
    assert len(answer) == 1 and "9:30" in answer[0]  # the opening hours, from the knowledge base
    assert duplicates(replies) == []
