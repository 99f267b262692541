"""Redis killed (SIGKILL) and started again on its AOF while 20 contacts write 200 messages.

While Redis is down the webhook answers 503 and WhatsApp retries the delivery (as Meta does);
workers retry in place; the fake Cloud API's status webhooks are retried too. After the restart
every message is answered exactly once, in each contact's order, and an open ticket is intact.
While Redis is down the hub's APIs answer 503 with a reason (never a 500).
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import httpx
from redis.asyncio import Redis

from bot.stack import Stack
from tests.faults.helpers import ANSWERED, Meta, duplicates

CONTACTS = 20
PER_CONTACT = 10
GAP_S = 1.0  # each contact writes once a second: 20 messages/second in all
SERVICE = {"Authorization": "Bearer dev-service-token"}


async def _open_ticket(http: httpx.AsyncClient, contact: str) -> dict[str, object]:
    body = {
        "contact": {"phone": f"+{contact}", "name": "Ticket Holder", "language": "it"},
        "reason": "human_requested",
        "transcript": [{"role": "customer", "text": "voglio un operatore",
                        "ts": datetime.now(tz=UTC).isoformat()}],
        "opened_at": datetime.now(tz=UTC).isoformat(),
    }
    created = await http.post("/api/handoff/tickets", json=body, headers=SERVICE)
    assert created.status_code == 201, created.text
    ticket = await http.get(f"/api/handoff/tickets/{created.json()['ticket_id']}", headers=SERVICE)
    assert ticket.status_code == 200
    return dict(ticket.json())


async def _customer(meta: Meta, contact: str, offset: int, wamids: list[str]) -> None:
    for index in range(PER_CONTACT):
        wamids.append(await meta.write(contact, ANSWERED[(offset + index) % len(ANSWERED)]))
        await asyncio.sleep(GAP_S)


async def test_redis_restarted_under_load_loses_nothing_doubles_nothing(
    live: Stack, meta: Meta, stack_redis: Redis
) -> None:
    async with httpx.AsyncClient(base_url=meta.settings.public_url, timeout=10) as http:
        ticket = await _open_ticket(http, meta.new_contact())
        contacts = [meta.new_contact() for _ in range(CONTACTS)]
        sent: dict[str, list[str]] = {contact: [] for contact in contacts}
        load = asyncio.gather(
            *(_customer(meta, c, i, sent[c]) for i, c in enumerate(contacts))
        )
        await asyncio.sleep(3.0)
        live.kill("redis")
        gate = await http.get(f"/api/handoff/conversations/+{contacts[0]}/gate", headers=SERVICE)
        assert gate.status_code == 503, gate.text  # a reason to retry, not a 500
        await asyncio.sleep(2.0)
        live.revive("redis")
        await load
        wamids = [w for contact in contacts for w in sent[contact]]
        assert len(wamids) == CONTACTS * PER_CONTACT
        await meta.wait_settled(stack_redis, wamids, timeout_s=180, grace_s=3.0)

        for contact in contacts:
            replies = await meta.replies_to(contact)
            assert duplicates(replies) == [], contact
            expected = []
            for wamid in sent[contact]:  # every one of these messages has an answer
                expected += await meta.expected_message_ids(stack_redis, wamid)
                assert expected[-1].startswith(wamid), f"{wamid} was never answered"
            assert [r.message_id for r in replies if not r.is_wait_notice] == expected, contact
        after = await http.get(f"/api/handoff/tickets/{ticket['id']}", headers=SERVICE)
        assert after.status_code == 200 and after.json() == ticket
