"""The router on a live hub: every recorded message type routed, the handoff gate obeyed.

Types the hub answers itself (media, location, contacts, unsupported) and those it never
answers (reactions, system messages) run without Rasa; the Rasa-bound types (text, reply
buttons, list rows, template buttons) run against the real stack (``stack`` marker).
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime

import pytest
from redis.asyncio import Redis

from bot.replies import canned_reply
from bot.simulator import new_inbound_wamid
from tests.bot.whatsapp_live import SERVICE, LiveHub, live_hub, recorded_message, until

CANNED = {
    "image": "media",
    "document": "media",
    "audio": "media",
    "video": "media",
    "sticker": "media",
    "location": "location",
    "contacts": "contacts",
    "unsupported": "unsupported",
}


def _contact() -> str:
    return "39347" + f"{secrets.randbelow(10**7):07d}"


async def _deliver(hub: LiveHub, name: str, contact: str) -> str:
    wamid = new_inbound_wamid()
    response = await hub.deliver(recorded_message(name, contact=contact, wamid=wamid))
    assert response.status_code == 200 and response.json()["accepted"] == 1
    return wamid


@pytest.fixture
async def hub(redis: Redis, redis_server: str, key_prefix: str):
    async with live_hub(redis, redis_server, key_prefix) as running:
        yield running


@pytest.mark.parametrize("name", sorted(CANNED))
async def test_types_the_hub_answers_itself_get_one_polite_reply(hub: LiveHub, name: str) -> None:
    contact = _contact()
    wamid = await _deliver(hub, name, contact)
    await until(lambda: hub.is_done(wamid))
    await until(lambda: _has_sent(hub, contact, 1))
    sent = await hub.sent_to(contact)
    assert len(sent) == 1
    assert sent[0]["payload"]["text"]["body"] == canned_reply(CANNED[name], "it")
    entries = await hub.redis.xrange(hub.keys.transcript(contact))
    customer = [f for _, f in entries if f["role"] == "customer"]
    assert customer[0]["type"] == name and customer[0]["wamid"] == wamid


async def _has_sent(hub: LiveHub, contact: str, count: int) -> bool:
    return len(await hub.sent_to(contact)) >= count


@pytest.mark.parametrize("name", ["reaction", "system"])
async def test_reactions_and_system_messages_are_recorded_never_answered(
    hub: LiveHub, name: str
) -> None:
    contact = _contact()
    wamid = await _deliver(hub, name, contact)
    await until(lambda: hub.is_done(wamid))
    assert await hub.replies_to(wamid) == []
    entries = await hub.redis.xrange(hub.keys.transcript(contact))
    assert [f["type"] for _, f in entries] == [name]
    if name == "reaction":
        assert entries[0][1]["reacted_to"].startswith("wamid.") and entries[0][1]["text"] == "👍"
    else:  # a system message does not open the 24-hour window
        assert await hub.redis.hget(hub.keys.contact(contact), "window_from") is None


async def test_during_a_handoff_media_goes_to_the_ticket_and_the_bot_stays_silent(
    hub: LiveHub,
) -> None:
    contact = _contact()
    ticket = await hub.http.post(
        "/api/handoff/tickets",
        headers=SERVICE,
        json={
            "contact": {"phone": f"+{contact}", "name": "Giulia", "language": "it"},
            "reason": "human_requested",
            "opened_at": datetime.now(tz=UTC).isoformat(),
        },
    )
    assert ticket.status_code == 201, ticket.text
    ticket_id = ticket.json()["ticket_id"]
    wamids = [await _deliver(hub, name, contact) for name in ("document", "location", "reaction")]
    for wamid in wamids:
        await until(lambda w=wamid: hub.is_done(w))
        assert await hub.replies_to(wamid) == []  # no bot reply while a human owns it
    detail = (await hub.http.get(f"/api/handoff/tickets/{ticket_id}", headers=SERVICE)).json()
    texts = [m["text"] for m in detail["transcript"]]
    assert "[document] visura_catastale.pdf Visura catastale" in texts
    assert any(t.startswith("📍 Darsena") for t in texts), texts
    assert "[reaction] 👍" in texts
    media = [m for m in detail["transcript"] if m.get("type") == "document"]
    assert media and media[0].get("media_id") == "1223847129183742"


async def test_the_gate_being_unreachable_keeps_the_message_waiting(
    redis: Redis, redis_server: str, key_prefix: str
) -> None:
    """A hub that cannot ask the handoff service never answers: it retries in place."""
    async with live_hub(redis, redis_server, key_prefix, handoff_url="http://127.0.0.1:9") as hub:
        contact = _contact()
        wamid = await _deliver(hub, "image", contact)
        await until(lambda: _pending(hub, contact))
        assert not await hub.is_done(wamid)
        assert await hub.sent_to(contact) == []


async def _pending(hub: LiveHub, contact: str) -> bool:
    from bot.inbound import shard_of

    stream = hub.keys.inbound_stream(shard_of(contact, hub.settings.inbound_shards))
    try:
        info = await hub.redis.xpending(stream, "workers")
    except Exception:  # noqa: BLE001 - the group is created by the worker a moment later
        return False
    return int(info["pending"]) >= 1


@pytest.mark.stack
@pytest.mark.parametrize(
    "name", ["text", "interactive_button_reply", "interactive_list_reply", "button"]
)
async def test_conversational_types_reach_rasa_and_get_an_answer(stack, name: str) -> None:
    """Through the running stack: signed webhook in, Rasa's answer out at the fake Cloud API."""
    import httpx

    from bot.config import Settings
    from bot.simulator import webhook_request

    settings = Settings(public_url=f"http://127.0.0.1:{stack.ports.hub}")
    contact = _contact()
    wamid = new_inbound_wamid()
    envelope = recorded_message(name, contact=contact, wamid=wamid)
    envelope["entry"][0]["changes"][0]["value"]["messages"][0]["timestamp"] = str(
        int(datetime.now(tz=UTC).timestamp())
    )
    url, headers, body = webhook_request(settings, envelope)
    async with httpx.AsyncClient(timeout=30) as http:
        assert (await http.post(url, headers=headers, content=body)).status_code == 200
        deadline = datetime.now(tz=UTC).timestamp() + 60
        sent: list = []
        while not sent and datetime.now(tz=UTC).timestamp() < deadline:
            sent = (
                await http.get(f"{settings.cloud_api_base}/_sent", params={"to": contact})
            ).json()
    assert sent, f"no answer to a {name} message"
