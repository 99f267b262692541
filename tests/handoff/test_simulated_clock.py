"""Simulated clocks: a script's ticket lives on the script's clock, real tickets on the real one."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest_asyncio
import redis.asyncio as aioredis

from handoff.api import create_app
from handoff.models import CustomerMessageIn, Role, TicketEvent
from tests.handoff.conftest import Handoff, make_settings
from tests.handoff.factories import MONDAY_10, ticket_create
from tests.handoff.peers import Recorder, serve


@pytest_asyncio.fixture
async def simulated(
    peers: tuple[str, Recorder], recorder: Recorder, prefix: str, redis: aioredis.Redis
) -> AsyncIterator[Handoff]:
    """The handoff app in simulator mode (scripts set the message clock)."""
    settings = make_settings(prefix, peers[0], simulator_mode=True)
    app = create_app(settings)
    async with serve(app) as url:
        yield Handoff(url=url, state=app.state.handoff, settings=settings)


async def test_simulated_ticket_in_the_past_is_not_flagged_until_its_clock_passes(
    simulated: Handoff,
) -> None:
    tickets, store = simulated.state.tickets, simulated.state.store
    answer, _ = await tickets.open(ticket_create(opened_at=MONDAY_10))  # months ago
    ticket = await store.get(answer.ticket_id)
    offset = (MONDAY_10 - datetime.now(UTC)).total_seconds()
    assert abs(ticket.clock_offset_seconds - offset) < 30
    assert ticket.sla_deadline == MONDAY_10 + timedelta(minutes=60), "support, normal: 60 min"

    assert await tickets.check_deadlines() == (0, 0)
    assert not (await store.get(answer.ticket_id)).sla_breached

    # two real hours later the script's clock has passed the deadline (and escalation time)
    later = datetime.now(UTC) + timedelta(hours=2)
    assert await tickets.check_deadlines(later) == (1, 1)
    flagged = await store.get(answer.ticket_id)
    assert flagged.sla_breached and flagged.escalated
    breach = next(h for h in flagged.history if h.event is TicketEvent.sla_breached)
    assert MONDAY_10 < breach.at < MONDAY_10 + timedelta(hours=3), "on the script's clock"


async def test_real_clock_ticket_past_its_deadline_is_flagged(simulated: Handoff) -> None:
    tickets, store = simulated.state.tickets, simulated.state.store
    answer, _ = await tickets.open(ticket_create(opened_at=datetime.now(UTC)))
    ticket = await store.get(answer.ticket_id)
    assert ticket.clock_offset_seconds == 0.0, "a live message keeps the real clock"
    assert await tickets.check_deadlines() == (0, 0)
    past_deadline = ticket.sla_deadline + timedelta(days=7)
    breached, _ = await tickets.check_deadlines(past_deadline)
    assert breached == 1 and (await store.get(answer.ticket_id)).sla_breached


async def test_past_ticket_outside_simulator_mode_is_flagged_at_once(handoff: Handoff) -> None:
    tickets, store = handoff.state.tickets, handoff.state.store
    answer, _ = await tickets.open(ticket_create(opened_at=MONDAY_10))
    assert (await store.get(answer.ticket_id)).clock_offset_seconds == 0.0
    breached, _ = await tickets.check_deadlines()
    assert breached == 1 and (await store.get(answer.ticket_id)).sla_breached


async def test_prompt_staff_reply_on_a_simulated_ticket_is_not_a_breach(
    simulated: Handoff,
) -> None:
    answer, _ = await simulated.state.tickets.open(ticket_create(opened_at=MONDAY_10))
    agent = await simulated.staff("ada", Role.agent)
    async with agent:
        claimed = await agent.post(f"/api/staff/tickets/{answer.ticket_id}/claim")
        assert claimed.status_code == 200, claimed.text
        replied = await agent.post(
            f"/api/staff/tickets/{answer.ticket_id}/reply", json={"text": "eccomi"}
        )
        assert replied.status_code == 200, replied.text
    ticket = await simulated.state.store.get(answer.ticket_id)
    assert ticket.first_response_at is not None and not ticket.sla_breached
    assert MONDAY_10 <= ticket.first_response_at < MONDAY_10 + timedelta(minutes=5)
    later = datetime.now(UTC) + timedelta(days=1)
    breached, _ = await simulated.state.tickets.check_deadlines(later)
    assert breached == 0, "answered in time: nothing to flag later"


async def test_simulated_ticket_is_queued_by_its_real_time_deadline(simulated: Handoff) -> None:
    tickets, state = simulated.state.tickets, simulated.state
    before = datetime.now(UTC)
    answer, _ = await tickets.open(ticket_create(team="rentals", opened_at=MONDAY_10))
    ticket = await state.store.get(answer.ticket_id)
    score = await state.redis.zscore(state.keys.queue("rentals"), answer.ticket_id)
    deadline_ms = int(score) % 10**13
    real_deadline = datetime.fromtimestamp(deadline_ms / 1000, UTC)
    assert real_deadline > before, "not ahead of live tickets because its clock is in March"
    assert abs(real_deadline - ticket.real_time(ticket.sla_deadline)) < timedelta(seconds=1)


async def test_simulated_clock_never_runs_behind_the_scripts_messages(simulated: Handoff) -> None:
    """A script's next message comes 40 s later on its clock but a second later in real time."""
    tickets, store = simulated.state.tickets, simulated.state.store
    answer, _ = await tickets.open(ticket_create(opened_at=MONDAY_10))
    ticket = await store.get(answer.ticket_id)
    later = MONDAY_10 + timedelta(minutes=10)
    message = CustomerMessageIn(text="ci siete?", type="text", wamid="wamid.clock1", ts=later)
    await tickets.customer_message(ticket.contact.phone, message)
    agent = await simulated.staff("eva", Role.agent)
    async with agent:
        await agent.post(f"/api/staff/tickets/{answer.ticket_id}/claim")
    claimed = await store.get(answer.ticket_id)
    assert claimed.claimed_at is not None and claimed.claimed_at >= later
