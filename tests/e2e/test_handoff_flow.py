"""End to end: handoff through signed webhooks, staff API, gate, resolve, back to the bot."""

from __future__ import annotations

from redis.asyncio import Redis

from bot.simulate import Player
from tests.e2e.helpers import Customer, gate_of, new_agent, rasa_user_events, wait_sent


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
    assert (await gate_of(player, customer_it.contact))["mode"] == "human"

    agent = await new_agent(http, base)
    claim = await http.post(f"{base}/api/staff/tickets/{ticket_id}/claim", headers=agent)
    assert claim.status_code == 200, claim.text
    before = len(await player.sent_to(customer_it.contact))
    reply = await http.post(
        f"{base}/api/staff/tickets/{ticket_id}/reply",
        headers=agent,
        json={"text": "Buongiorno, sono Laura dell'agenzia: mi dica pure."},
    )
    assert reply.status_code == 200, reply.text
    assert any("Laura" in text for text in await wait_sent(player, customer_it.contact, before))

    user_events = await rasa_user_events(stack_redis, customer_it.contact)
    silent = await customer_it.say("a che ora aprite il sabato?")
    assert silent == [], "the bot must not answer while a person owns the conversation"
    assert await rasa_user_events(stack_redis, customer_it.contact) == user_events
    ticket = (await player.tickets_of(customer_it.contact))[0]
    assert any("sabato" in m["text"] for m in ticket["transcript"]), "pushed to the ticket"

    resolved = await http.post(
        f"{base}/api/staff/tickets/{ticket_id}/resolve", headers=agent, json={"note": "risolto"}
    )
    assert resolved.status_code == 200, resolved.text
    assert (await gate_of(player, customer_it.contact))["mode"] == "bot"
    answered = await customer_it.say("a che ora aprite il sabato?")
    assert answered, "after resolution the bot answers again"
    # ...with the real answer (the dialogue resumes listening), not a fallback and a new ticket
    assert any("Sabato" in text and "9:30" in text for text in answered), answered
    assert len(await player.tickets_of(customer_it.contact)) == 1
