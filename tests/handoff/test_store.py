"""Concurrency against the real Redis: atomic claims, no lost tickets, queue order."""

from __future__ import annotations

import asyncio
import random
import time
from datetime import timedelta

from handoff.models import Priority, Role, TicketEvent, TicketStatus
from tests.handoff.conftest import Handoff
from tests.handoff.factories import MONDAY_10, new_phone, ticket_body, ticket_create


async def test_fifty_concurrent_claims_exactly_one_wins(handoff: Handoff) -> None:
    async with handoff.service() as service:
        created = await service.post("/api/handoff/tickets", json=ticket_body())
    ticket_id = created.json()["ticket_id"]
    agents = [await handoff.staff(f"agent{i:02d}", Role.agent) for i in range(50)]

    async def claim(client):  # type: ignore[no-untyped-def]
        return await client.post(f"/api/staff/tickets/{ticket_id}/claim")

    responses = await asyncio.gather(*(claim(agent) for agent in agents))
    for agent in agents:
        await agent.aclose()

    codes = sorted(r.status_code for r in responses)
    assert codes.count(200) == 1 and codes.count(409) == 49, codes
    winner = next(r.json()["assignee"] for r in responses if r.status_code == 200)
    ticket = await handoff.state.store.get(ticket_id)
    assert ticket.assignee == winner and ticket.status is TicketStatus.assigned
    assert [h.event for h in ticket.history].count(TicketEvent.claimed) == 1
    audit = await handoff.state.store.audit(ticket_id)
    assert [a.event for a in audit].count(TicketEvent.claimed) == 1
    redis, keys = handoff.state.redis, handoff.state.keys
    assert await redis.smembers(keys.agent_tickets(winner)) == {ticket_id}
    assert await redis.zcard(keys.queue(ticket.team)) == 0


async def test_thousand_concurrent_creations_none_lost_queue_ordered(handoff: Handoff) -> None:
    rng = random.Random(5)
    teams = ["sales", "rentals", "support"]
    priorities = list(Priority)
    requests = [
        ticket_create(
            team=rng.choice(teams),
            priority=rng.choice(priorities).value,
            opened_at=MONDAY_10 + timedelta(minutes=rng.randrange(0, 60 * 24 * 5)),
            messages=["mi chiamo Anna, budget 300k"],
        )
        for _ in range(1000)
    ]
    started = time.perf_counter()
    results = await asyncio.gather(*(handoff.state.tickets.open(r) for r in requests))
    elapsed = time.perf_counter() - started
    print(f"\n1000 concurrent ticket creations: {elapsed:.1f}s")

    ids = [answer.ticket_id for answer, created in results]
    assert all(created for _, created in results)
    assert len(set(ids)) == 1000
    store, redis, keys = handoff.state.store, handoff.state.redis, handoff.state.keys
    assert await redis.zcard(keys.tickets_all()) == 1000
    assert await redis.zcard(keys.tickets_open()) == 1000
    assert int((await redis.hgetall(keys.stats()))["created"]) == 1000
    queued = 0
    for team in teams:
        ordered = await store.get_many(await store.queue_ids(team, limit=1000))
        queued += len(ordered)
        sort_keys = [(t.priority.rank, t.sla_deadline) for t in ordered]
        assert sort_keys == sorted(sort_keys), f"queue {team} out of order"
        assert all(t.team == team for t in ordered)
    assert queued == 1000
    for request, ticket_id in zip(requests, ids, strict=True):
        assert await store.open_ticket_id(request.contact.phone) == ticket_id
    created_events = [e for e in await store.audit(count=5000) if e.event is TicketEvent.created]
    assert len(created_events) == 1000


async def test_concurrent_triggers_for_one_contact_make_one_ticket(handoff: Handoff) -> None:
    phone = new_phone()
    reasons = ["human_requested", "bot_failed", "complaint", "qualified_lead"] * 5
    results = await asyncio.gather(
        *(handoff.state.tickets.open(ticket_create(phone, reason=r)) for r in reasons)
    )
    assert len({answer.ticket_id for answer, _ in results}) == 1
    assert sum(created for _, created in results) == 1
    ticket = await handoff.state.store.get(results[0][0].ticket_id)
    assert set(ticket.reasons) == set(reasons)
    assert ticket.priority is Priority.high
    assert len(ticket.history) == 20
