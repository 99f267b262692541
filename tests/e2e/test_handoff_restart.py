"""End to end: the hub process is killed (SIGKILL) and restarted in the middle of a handoff."""

from __future__ import annotations

from datetime import datetime

from redis.asyncio import Redis

from bot.simulate import Player
from bot.stack import Stack
from tests.e2e.helpers import ROME, Customer, gate_of, new_agent, rasa_user_events, wait_sent


async def test_handoff_survives_a_hub_crash(
    stack: Stack, customer_it: Customer, player: Player, stack_redis: Redis
) -> None:
    base, http, contact = player._settings.public_url, player._http, customer_it.contact
    told = await customer_it.say("vorrei parlare con una persona, per favore")
    [ticket] = await player.tickets_of(contact)
    assert ticket["reason"] == "human_requested" and ticket["status"] != "resolved"
    deadline = datetime.fromisoformat(ticket["sla_deadline"]).astimezone(ROME)
    assert f"entro le {deadline:%H:%M}" in told[0], "promised by the SLA deadline (office open)"
    assert (await gate_of(player, contact))["mode"] == "human"
    user_events = await rasa_user_events(stack_redis, contact)

    old_pid = stack.pid("hub")
    new_pid = stack.restart("hub")  # SIGKILL: no shutdown hook runs
    assert old_pid is not None and new_pid != old_pid and stack.healthy("hub")

    silent = await customer_it.say("sono ancora qui: mi serve la planimetria di via Savona 12")
    assert silent == [], "after the restart the gate still keeps the bot quiet"
    assert await rasa_user_events(stack_redis, contact) == user_events, "Rasa never saw it"
    [after] = await player.tickets_of(contact)
    assert after["id"] == ticket["id"] and after["status"] != "resolved"
    customer_texts = [m["text"] for m in after["transcript"] if m["role"] == "customer"]
    assert any("persona" in t for t in customer_texts), "what came before the crash is kept"
    assert any("planimetria" in t for t in customer_texts), "appended to the ticket"

    agent = await new_agent(http, base)
    claim = await http.post(f"{base}/api/staff/tickets/{ticket['id']}/claim", headers=agent)
    assert claim.status_code == 200, claim.text
    before = len(await player.sent_to(contact))
    reply = await http.post(
        f"{base}/api/staff/tickets/{ticket['id']}/reply",
        headers=agent,
        json={"text": "Buongiorno, sono Marta: le mando la planimetria entro oggi."},
    )
    assert reply.status_code == 200, reply.text
    assert any("Marta" in text for text in await wait_sent(player, contact, before))

    resolved = await http.post(
        f"{base}/api/staff/tickets/{ticket['id']}/resolve", headers=agent, json={"note": "ok"}
    )
    assert resolved.status_code == 200, resolved.text
    assert (await gate_of(player, contact))["mode"] == "bot"
    assert await customer_it.say("a che ora aprite il sabato?"), "the bot answers again"
    assert await rasa_user_events(stack_redis, contact) > user_events
