"""End to end: a contact's data exported and erased everywhere (issue 8, GDPR).

A conversation with a handoff, an agent reply and consent changes is played through signed
webhooks; the export must hold every part of it; after the erasure, no key of the hub's Redis
database (hub, handoff and Rasa keys alike) may mention the number, its WhatsApp id or its
known hashes, and Rasa must answer with an empty tracker.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
from redis.asyncio import Redis

from bot.config import Settings
from bot.keys import Keys
from bot.privacy import conversation_id, subject_hash
from bot.simulate import Player
from bot.simulator import preference_envelope, webhook_request
from bot.stack import Stack
from tests.e2e.helpers import ADMIN, Customer, new_agent, staff_login

ROOT = Path(__file__).resolve().parents[2]


async def _supervisor(http: httpx.AsyncClient, base: str) -> dict[str, str]:
    admin = await staff_login(http, base, ADMIN)
    username = f"sup{os.urandom(3).hex()}"
    password = os.urandom(9).hex()
    created = await http.post(
        f"{base}/api/staff/users",
        headers=admin,
        json={"username": username, "password": password, "role": "supervisor",
              "teams": ["sales", "rentals", "support"], "areas": []},
    )
    created.raise_for_status()
    return await staff_login(http, base, {"username": username, "password": password})


def _email(customer: Customer) -> str:
    return f"cliente{customer.contact[-7:]}@example.com"


async def _consent(player: Player, customer: Customer, value: str) -> None:
    settings = player._settings
    envelope = preference_envelope(settings, contact=customer.contact, name=customer.name,
                                   value=value)
    url, headers, body = webhook_request(settings, envelope)
    response = await player._http.post(url, headers=headers, content=body)
    assert response.status_code == 200 and response.json()["preferences"] == 1


async def _play_conversation(customer: Customer, player: Player) -> str:
    """Lead details, a handoff, an agent reply, an opt-out and an opt-in; returns the ticket."""
    await customer.say("Ciao, vorrei comprare un trilocale ai Navigli, budget 350000 euro")
    await customer.say(f"la mia email è {_email(customer)}")
    await customer.say("vorrei parlare con un operatore per favore")
    tickets = await player.tickets_of(customer.contact)
    assert len(tickets) == 1, "the handoff opened a ticket"
    ticket_id = str(tickets[0]["id"])
    http, base = player._http, player._settings.public_url
    agent = await new_agent(http, base)
    assert (await http.post(f"{base}/api/staff/tickets/{ticket_id}/claim",
                            headers=agent)).status_code == 200
    reply = await http.post(f"{base}/api/staff/tickets/{ticket_id}/reply", headers=agent,
                            json={"text": "Buongiorno, sono Laura: la richiamo oggi."})
    assert reply.status_code == 200, reply.text
    await customer.say("grazie, aspetto")
    await _consent(player, customer, "stop")
    await _consent(player, customer, "resume")
    for _ in range(100):  # the agent's reply delivered and its statuses back
        sent = await player.sent_to(customer.contact)
        if any("Laura" in json.dumps(s) for s in sent):
            break
        await asyncio.sleep(0.1)
    await asyncio.sleep(1.5)  # the fake Cloud API's status webhooks and the outbox settle
    return ticket_id


def _check_export(exported: dict[str, Any], customer: Customer, ticket_id: str) -> None:
    texts = " ".join(e.get("text", "") for e in exported["transcript"])
    assert "trilocale ai Navigli" in texts and "grazie, aspetto" in texts
    roles = {e.get("role") for e in exported["transcript"]}
    assert {"customer", "bot", "agent"} <= roles, roles
    assert [e["state"] for e in exported["consent_log"]] == ["opted_out", "opted_in"]
    assert exported["profile"]["consent"] == "opted_in"
    outbound = exported["outbound_messages"]
    assert outbound and all(m["message"]["to"] == customer.contact for m in outbound)
    assert any(m.get("status") for m in outbound), "delivery statuses are exported"
    tickets = exported["handoff"]["tickets"]
    assert [t["id"] for t in tickets] == [ticket_id]
    assert tickets[0]["summary"], "the ticket's summary is exported"
    events = {a["event"] for a in exported["handoff"]["audit"]}
    assert {"created", "claimed", "replied"} <= events, events
    tracker = exported["rasa_tracker"]
    assert tracker and any(e.get("event") == "user" for e in tracker["events"])
    assert exported["lead_facts"].get("lead_type") == "buy", exported["lead_facts"]


def _cli(*args: str, stack: Stack, settings: Settings) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "REDIS_URL": stack.ports.redis_url, "BOT_PUBLIC_URL": settings.public_url}
    return subprocess.run([sys.executable, "-m", "bot.cli", "gdpr", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120, check=False)


async def _value_text(redis: Redis, key: str) -> str:
    """Everything a key holds, as text (whatever its type)."""
    kind = await redis.type(key)
    reads = {
        "string": lambda: redis.get(key),
        "hash": lambda: redis.hgetall(key),
        "list": lambda: redis.lrange(key, 0, -1),
        "set": lambda: redis.smembers(key),
        "zset": lambda: redis.zrange(key, 0, -1, withscores=True),
        "stream": lambda: redis.xrange(key),
    }
    read = reads.get(kind)
    return json.dumps(await read() if read else None, default=str, ensure_ascii=False)


async def _mentions(redis: Redis, needles: list[str], allowed_key: str) -> list[str]:
    """Every key (name or content) of the database holding one of the needles."""
    found = []
    async for key in redis.scan_iter(count=1000):
        if key == allowed_key:
            continue
        text = key + " " + await _value_text(redis, key)
        found += [f"{key}: {needle}" for needle in needles if needle in text]
    return found


async def test_export_then_erase_leaves_no_trace(
    customer_it: Customer, player: Player, stack: Stack, stack_redis: Redis,
    hub_settings: Settings,
) -> None:
    contact = customer_it.contact
    ticket_id = await _play_conversation(customer_it, player)
    http, base = player._http, hub_settings.public_url
    supervisor = await _supervisor(http, base)

    exported = await http.get(f"{base}/api/staff/gdpr/+{contact}", headers=supervisor)
    assert exported.status_code == 200, exported.text
    _check_export(exported.json(), customer_it, ticket_id)
    out = ROOT / "var" / f"gdpr-export-{contact}.json"
    cli = _cli("export", f"+{contact}", "--out", str(out), stack=stack, settings=hub_settings)
    assert cli.returncode == 0, cli.stderr
    _check_export(json.loads(out.read_text()), customer_it, ticket_id)
    out.unlink()

    key = hub_settings.pseudonym_key
    needles = [contact, hashlib.sha256(contact.encode()).hexdigest(),
               hashlib.sha256(f"+{contact}".encode()).hexdigest(), conversation_id(contact, key),
               _email(customer_it)]
    keys = Keys(hub_settings.key_prefix)
    assert await _mentions(stack_redis, needles, keys.gdpr_log()), "the data was there"

    erased = _cli("erase", f"+{contact}", "--actor", "test-dpo", stack=stack,
                  settings=hub_settings)
    assert erased.returncode == 0, erased.stderr
    report = json.loads(erased.stdout)
    assert report["tickets"] == 1 and report["audit_entries"] >= 3 and report["rasa_keys"] >= 1
    assert report["subject"] == subject_hash(contact, key)

    assert await _mentions(stack_redis, needles, keys.gdpr_log()) == []
    records = [json.loads(f["record"]) for _, f in await stack_redis.xrange(keys.gdpr_log())
               if f["action"] == "erase"]
    assert any(r["subject"] == report["subject"] and r["actor"] == "test-dpo" for r in records)
    assert contact not in json.dumps(records)

    rasa = f"http://127.0.0.1:{stack.ports.rasa}"
    tracker = (await http.get(f"{rasa}/conversations/{contact}/tracker")).json()
    assert not [e for e in tracker["events"] if e.get("event") in ("user", "bot", "slot")]
    await stack_redis.delete(f"rasa:tracker:{contact}")  # the GET above created an empty one

    again = await http.get(f"{base}/api/staff/gdpr/+{contact}", headers=supervisor)
    assert again.json()["transcript"] == [] and again.json()["handoff"]["tickets"] == []
    await stack_redis.delete(f"rasa:tracker:{contact}")


async def test_gdpr_api_refuses_a_bad_number_and_non_supervisors(
    player: Player, hub_settings: Settings
) -> None:
    http, base = player._http, hub_settings.public_url
    supervisor = await _supervisor(http, base)
    bad = await http.get(f"{base}/api/staff/gdpr/not-a-phone", headers=supervisor)
    assert bad.status_code == 422 and "phone number" in bad.json()["detail"]
    agent = await new_agent(http, base)
    assert (await http.delete(f"{base}/api/staff/gdpr/+393330000000",
                              headers=agent)).status_code == 403
    async with httpx.AsyncClient(timeout=30) as anonymous:
        assert (await anonymous.get(f"{base}/api/staff/gdpr/+393330000000")).status_code == 401
