"""SLA breaches, escalation of tickets nobody picked up, assignment and transfers."""

from __future__ import annotations

from datetime import UTC, datetime

from handoff.models import Role, TicketEvent, TicketStatus
from tests.handoff.conftest import Handoff
from tests.handoff.factories import ticket_body, ticket_create

FUTURE = datetime(2099, 1, 5, 10, 0, tzinfo=UTC)  # a Monday, open hours: deadlines ahead


async def _stats(handoff: Handoff) -> dict[str, str]:
    return await handoff.state.redis.hgetall(handoff.state.keys.stats())


async def test_breach_is_flagged_once_and_counted(handoff: Handoff) -> None:
    tickets = handoff.state.tickets
    past, _ = await tickets.open(ticket_create())  # opened 2026-03-02: long overdue
    future, _ = await tickets.open(ticket_create(opened_at=FUTURE))
    assert await tickets.check_deadlines() == (1, 1)
    assert await tickets.check_deadlines() == (0, 0)
    breached = await handoff.state.store.get(past.ticket_id)
    assert breached.sla_breached and breached.escalated
    assert breached.history[-2].event is TicketEvent.sla_breached
    assert not (await handoff.state.store.get(future.ticket_id)).sla_breached
    assert (await _stats(handoff))["sla_breached"] == "1"
    supervisor = await handoff.staff("sara", Role.supervisor)
    async with supervisor:
        stats = (await supervisor.get("/api/staff/stats")).json()
        page = (await supervisor.get("/api/staff/tickets", params={"breached": "true"})).json()
    assert stats["sla_breached"] == 1 and stats["escalated"] == 1
    support = next(t for t in stats["teams"] if t["team"] == "support")
    assert support["open_breached"] == 1 and support["queued"] == 2
    assert [t["id"] for t in page["tickets"]] == [past.ticket_id]


async def test_late_first_reply_counts_as_breach(handoff: Handoff) -> None:
    answer, _ = await handoff.state.tickets.open(ticket_create())
    agent = await handoff.staff("ada", Role.agent)
    async with agent:
        await agent.post(f"/api/staff/tickets/{answer.ticket_id}/claim")
        await agent.post(f"/api/staff/tickets/{answer.ticket_id}/reply", json={"text": "eccomi"})
    ticket = await handoff.state.store.get(answer.ticket_id)
    assert ticket.sla_breached and ticket.first_response_at is not None
    assert await handoff.state.tickets.check_deadlines() == (0, 0)
    assert (await _stats(handoff))["sla_breached"] == "1"


async def test_unpicked_ticket_is_escalated_and_goes_to_another_agent(handoff: Handoff) -> None:
    for name in ("a1", "a2"):
        await handoff.add_user(name, Role.agent, teams=["support"])
        await handoff.state.directory.set_online(name, True)
    answer, _ = await handoff.state.tickets.open(ticket_create())
    first = await handoff.state.store.get(answer.ticket_id)
    assert first.status is TicketStatus.assigned and first.assignee == "a1"
    assert first.claimed_at is None

    await handoff.state.tickets.check_deadlines()
    ticket = await handoff.state.store.get(answer.ticket_id)
    assert ticket.escalated and ticket.assignee == "a2"
    events = [h.event for h in ticket.history]
    assert events[-3:] == [TicketEvent.sla_breached, TicketEvent.escalated, TicketEvent.assigned]
    assert ticket.history[-2].detail["previous_agent"] == "a1"
    redis, keys = handoff.state.redis, handoff.state.keys
    assert await redis.smembers(keys.agent_tickets("a1")) == set()
    assert await redis.smembers(keys.agent_tickets("a2")) == {answer.ticket_id}


async def test_claimed_ticket_is_not_escalated(handoff: Handoff) -> None:
    answer, _ = await handoff.state.tickets.open(ticket_create())
    agent = await handoff.staff("bea", Role.agent)
    async with agent:
        await agent.post(f"/api/staff/tickets/{answer.ticket_id}/claim")
    await handoff.state.tickets.check_deadlines()
    ticket = await handoff.state.store.get(answer.ticket_id)
    assert ticket.assignee == "bea" and not ticket.escalated and ticket.sla_breached


async def test_leads_go_to_the_agent_covering_the_area(handoff: Handoff) -> None:
    await handoff.add_user("navigli", Role.agent, teams=["sales"], areas=["Navigli"])
    await handoff.add_user("isola", Role.agent, teams=["sales"], areas=["Isola", "Brera"])
    await handoff.add_user("offline", Role.agent, teams=["sales"], areas=["Isola"])
    for name in ("navigli", "isola"):
        await handoff.state.directory.set_online(name, True)
    tickets = handoff.state.tickets

    async def lead(area: str) -> str | None:
        body = ticket_create(
            reason="qualified_lead", opened_at=FUTURE, lead={"lead_type": "buy", "area": area}
        )
        answer, _ = await tickets.open(body)
        return (await handoff.state.store.get(answer.ticket_id)).assignee

    assert await lead("Isola") == "isola"
    assert await lead("brera") == "isola"
    assert await lead("Navigli") == "navigli"
    # no area match: round robin over the available agents
    assert {await lead("Bicocca"), await lead("Bicocca")} == {"navigli", "isola"}


async def test_round_robin_respects_capacity_and_presence(handoff: Handoff) -> None:
    await handoff.add_user("r1", Role.agent, teams=["rentals"], max_concurrent=1)
    await handoff.add_user("r2", Role.agent, teams=["rentals"], max_concurrent=2)
    tickets = handoff.state.tickets
    first, _ = await tickets.open(ticket_create(team="rentals", opened_at=FUTURE))
    assert (await handoff.state.store.get(first.ticket_id)).status is TicketStatus.queued

    agent = await handoff.staff("r1")
    async with agent:
        online = await agent.put("/api/staff/me/presence", json={"online": True})
        assert online.status_code == 200
    assert (await handoff.state.store.get(first.ticket_id)).assignee == "r1", "picked on login"
    await handoff.state.directory.set_online("r2", True)
    assignees = []
    for _ in range(3):
        answer, _ = await tickets.open(ticket_create(team="rentals", opened_at=FUTURE))
        assignees.append((await handoff.state.store.get(answer.ticket_id)).assignee)
    assert assignees == ["r2", "r2", None], "r1 is full (1), r2 takes 2, then the queue"


async def test_transfers_and_team_boundaries(handoff: Handoff) -> None:
    async with handoff.service() as service:
        created = await service.post("/api/handoff/tickets", json=ticket_body(team="sales"))
    ticket_id = created.json()["ticket_id"]
    renter = await handoff.staff("rita", Role.agent, teams=["rentals"])
    seller = await handoff.staff("sam", Role.agent, teams=["sales"])
    supervisor = await handoff.staff("sara", Role.supervisor)
    async with renter, seller, supervisor:
        wrong_team = await renter.post(f"/api/staff/tickets/{ticket_id}/claim")
        assert wrong_team.status_code == 403 and "transfer" in wrong_team.json()["detail"]
        assert (await seller.post(f"/api/staff/tickets/{ticket_id}/claim")).status_code == 200
        not_holder = await renter.post(f"/api/staff/tickets/{ticket_id}/resolve", json={})
        assert not_holder.status_code == 403

        moved = await seller.post(
            f"/api/staff/tickets/{ticket_id}/transfer", json={"team": "rentals", "note": "affitto"}
        )
        assert moved.status_code == 200, moved.text
        assert moved.json()["team"] == "rentals" and moved.json()["status"] == "queued"
        assert moved.json()["assignee"] is None
        assert (await renter.post(f"/api/staff/tickets/{ticket_id}/claim")).status_code == 200

        bad = await supervisor.post(
            f"/api/staff/tickets/{ticket_id}/transfer", json={"agent": "sam"}
        )
        assert bad.status_code == 422 and "does not work for team rentals" in bad.json()["detail"]
        direct = await supervisor.post(
            f"/api/staff/tickets/{ticket_id}/transfer", json={"team": "sales", "agent": "sam"}
        )
        assert direct.json()["assignee"] == "sam" and direct.json()["status"] == "assigned"
        ticket = await handoff.state.store.get(ticket_id)
    transfers = [h for h in ticket.history if h.event is TicketEvent.transferred]
    assert [(t.detail["from_team"], t.detail["team"]) for t in transfers] == [
        ("sales", "rentals"),
        ("rentals", "sales"),
    ]
    redis, keys = handoff.state.redis, handoff.state.keys
    assert await redis.smembers(keys.agent_tickets("rita")) == set()
    assert await redis.smembers(keys.agent_tickets("sam")) == {ticket_id}


async def test_claim_limit_for_agents(handoff: Handoff) -> None:
    agent = await handoff.staff("lim", Role.agent, max_concurrent=1)
    first, _ = await handoff.state.tickets.open(ticket_create())
    second, _ = await handoff.state.tickets.open(ticket_create())
    async with agent:
        assert (await agent.post(f"/api/staff/tickets/{first.ticket_id}/claim")).status_code == 200
        full = await agent.post(f"/api/staff/tickets/{second.ticket_id}/claim")
        assert full.status_code == 409 and "max 1" in full.json()["detail"]
        again = await agent.post(f"/api/staff/tickets/{first.ticket_id}/claim")
        assert again.status_code == 200, "claiming your own ticket again is harmless"
