"""End to end: handoff through signed webhooks, staff API, gate, resolve, back to the bot."""

from __future__ import annotations

import asyncio
import json
import secrets
from typing import Any

import httpx
from redis.asyncio import Redis

from bot.simulate import Player
from tests.e2e.helpers import Customer

ADMIN = {"username": "admin", "password": "wabot-admin"}


async def _login(http: httpx.AsyncClient, base: str, credentials: dict[str, str]) -> dict[str, str]:
    response = await http.post(f"{base}/api/staff/auth/login", json=credentials)
    response.raise_for_status()
    return {"Authorization": f"Bearer {response.json()['token']}"}


async def _agent(http: httpx.AsyncClient, base: str) -> dict[str, str]:
    """A fresh support agent created by the bootstrap admin (simulator mode)."""
    admin = await _login(http, base, ADMIN)
    username = f"agent{secrets.token_hex(3)}"
    password = secrets.token_urlsafe(12)
    created = await http.post(
        f"{base}/api/staff/users",
        headers=admin,
        json={
            "username": username,
            "password": password,
            "role": "agent",
            "teams": ["sales", "rentals", "support"],
            "areas": [],
        },
    )
    created.raise_for_status()
    return await _login(http, base, {"username": username, "password": password})


async def _user_events(redis: Redis, contact: str) -> int:
    stored = await redis.get(f"rasa:tracker:{contact}")
    events = json.loads(stored)["events"] if stored else []
    return sum(1 for e in events if e.get("event") == "user")


async def _gate(player: Player, contact: str) -> dict[str, Any]:
    return (
        await player._http.get(
            f"{player._settings.handoff_base}/api/handoff/conversations/+{contact}/gate",
            headers=player._service,
        )
    ).json()


async def test_agent_takes_over_bot_stays_silent_then_resumes(
    customer_it: Customer, player: Player, stack_redis: Redis
) -> None:
    base = player._settings.public_url
    http = player._http
    replies = await customer_it.say("vorrei parlare con un operatore per favore")
    assert replies, "the customer is told a person will answer"
    tickets = await player.tickets_of(customer_it.contact)
    assert len(tickets) == 1 and tickets[0]["reason"] == "human_requested"
    ticket_id = tickets[0]["id"]
    assert (await _gate(player, customer_it.contact))["mode"] == "human"

    agent = await _agent(http, base)
    claim = await http.post(f"{base}/api/staff/tickets/{ticket_id}/claim", headers=agent)
    assert claim.status_code == 200, claim.text
    before = len(await player.sent_to(customer_it.contact))
    reply = await http.post(
        f"{base}/api/staff/tickets/{ticket_id}/reply",
        headers=agent,
        json={"text": "Buongiorno, sono Laura dell'agenzia: mi dica pure."},
    )
    assert reply.status_code == 200, reply.text
    for _ in range(100):
        sent = await player.sent_to(customer_it.contact, before)
        if sent:
            break
        await asyncio.sleep(0.1)
    assert any("Laura" in s["payload"]["text"]["body"] for s in sent)

    user_events = await _user_events(stack_redis, customer_it.contact)
    silent = await customer_it.say("a che ora aprite il sabato?")
    assert silent == [], "the bot must not answer while a person owns the conversation"
    assert await _user_events(stack_redis, customer_it.contact) == user_events
    ticket = (await player.tickets_of(customer_it.contact))[0]
    assert any("sabato" in m["text"] for m in ticket["transcript"]), "pushed to the ticket"

    resolved = await http.post(
        f"{base}/api/staff/tickets/{ticket_id}/resolve", headers=agent, json={"note": "risolto"}
    )
    assert resolved.status_code == 200, resolved.text
    assert (await _gate(player, customer_it.contact))["mode"] == "bot"
    answered = await customer_it.say("a che ora aprite il sabato?")
    assert answered, "after resolution the bot answers again"
