"""The simulator page and its API on a live hub: every action goes through the signed webhook."""

from __future__ import annotations

import re
import secrets
import shutil
import subprocess

import pytest
from redis.asyncio import Redis

from bot import outbound
from bot.api.routes.simulator import STATIC
from tests.bot.whatsapp_live import SERVICE, LiveHub, live_hub, until


def _contact() -> str:
    return "39349" + f"{secrets.randbelow(10**7):07d}"


@pytest.fixture
async def hub(redis: Redis, redis_server: str, key_prefix: str):
    async with live_hub(redis, redis_server, key_prefix) as running:
        yield running


async def _conversation(hub: LiveHub, contact: str) -> dict:
    response = await hub.http.get(f"/api/simulator/conversations/{contact}")
    assert response.status_code == 200
    return response.json()


async def _bubbles(hub: LiveHub, contact: str, count: int) -> bool:
    return len((await _conversation(hub, contact))["messages"]) >= count


async def test_the_page_and_its_assets_are_served_without_any_cdn(hub: LiveHub) -> None:
    page = await hub.http.get("/simulator")
    assert page.status_code == 200 and "WhatsApp simulator" in page.text
    assert not re.search(r"(src|href)=\"https?://", page.text)
    for name in ("simulator.js", "simulator.css"):
        asset = await hub.http.get(f"/simulator/static/{name}")
        assert asset.status_code == 200 and "http://" not in asset.text.replace("https://", "")
    assert (await hub.http.get("/simulator/static/..%2Fmain.py")).status_code == 404
    assert (await hub.http.get("/simulator/static/nope.js")).status_code == 404


def test_the_page_script_parses() -> None:
    if shutil.which("node") is None:
        pytest.fail("node is not installed: run `make setup` (installs Debian's nodejs)")
    subprocess.run(["node", "--check", str(STATIC / "simulator.js")], check=True)


async def test_a_typed_message_goes_through_the_signed_webhook_and_gets_ticks(
    hub: LiveHub,
) -> None:
    contact = _contact()
    sent = await hub.http.post(
        "/api/simulator/messages",
        json={
            "contact": f"+{contact}",
            "name": "Giulia",
            "kind": "location",
            "text": "Darsena",
        },
    )
    assert sent.status_code == 200
    body = sent.json()
    assert body["status_code"] == 200 and body["answer"]["accepted"] == 1
    assert await hub.redis.exists(hub.keys.seen(body["wamid"]))  # the webhook dedupe key
    await until(lambda: _read_bubble(hub, contact))
    messages = (await _conversation(hub, contact))["messages"]
    assert [m["from"] for m in messages] == ["customer", "bot"]
    assert messages[0]["type"] == "location" and "Darsena" in messages[0]["text"]


async def _read_bubble(hub: LiveHub, contact: str) -> bool:
    messages = (await _conversation(hub, contact))["messages"]
    return any(m["from"] == "bot" and m["status"] == "read" for m in messages)


async def test_buttons_and_lists_are_shown_and_a_tap_is_a_real_interactive_reply(
    hub: LiveHub,
) -> None:
    contact = _contact()
    await hub.http.post(
        "/api/simulator/messages",
        json={
            "contact": contact,
            "kind": "contacts",
            "card_name": "Marco",
            "card_phone": "+39 347 1",
        },
    )
    await until(lambda: _bubbles(hub, contact, 2))
    options = [outbound.Button(title=f"Zona {n}", payload=f"/inform{{{n}}}") for n in range(5)]
    for message_id, buttons in (("menu:1", options[:2]), ("menu:2", options)):
        message = outbound.OutboundMessage(
            id=message_id, to=contact, text="Scegli", buttons=buttons
        )
        await outbound.enqueue(hub.redis, keys=hub.keys, message=message, shards=2, ttl_s=600)
    await until(lambda: _bubbles(hub, contact, 4))
    shown = [m["payload"] for m in (await _conversation(hub, contact))["messages"][2:]]
    assert shown[0]["interactive"]["type"] == "button"
    assert shown[1]["interactive"]["type"] == "list"
    row = shown[1]["interactive"]["action"]["sections"][0]["rows"][3]
    tapped = await hub.http.post(
        "/api/simulator/messages",
        json={
            "contact": contact,
            "kind": "list_reply",
            "reply_id": row["id"],
            "title": row["title"],
        },
    )
    assert tapped.json()["answer"]["accepted"] == 1
    await until(lambda: _bubbles(hub, contact, 5))
    last = (await _conversation(hub, contact))["messages"][4]
    assert (last["type"], last["payload"], last["text"]) == ("interactive", "/inform{3}", "Zona 3")


async def test_templates_are_rendered_with_their_quick_replies(hub: LiveHub) -> None:
    contact = _contact()
    await hub.http.post(
        "/api/simulator/messages",
        json={"contact": contact, "name": "Giulia", "kind": "unsupported"},
    )
    await until(lambda: _bubbles(hub, contact, 2))
    await hub.http.post(f"/api/simulator/contacts/{contact}/close-window")
    await hub.http.post(
        "/api/outbound/messages",
        headers=SERVICE,
        json={"to": contact, "text": "Risposta", "origin": "agent"},
    )
    await until(lambda: _bubbles(hub, contact, 3))
    view = await _conversation(hub, contact)
    template = view["messages"][2]
    assert template["payload"]["type"] == "template"
    assert template["rendered"]["text"].startswith("Ciao Giulia")
    assert template["rendered"]["buttons"] == ["Leggi la risposta"]


async def test_an_uploaded_file_is_sent_as_media_and_can_be_viewed(hub: LiveHub) -> None:
    contact = _contact()
    png = b"\x89PNG\r\n\x1a\n" + b"0" * 64
    sent = await hub.http.post(
        "/api/simulator/media",
        data={"contact": contact, "name": "Giulia", "caption": "la cucina"},
        files={"file": ("cucina.png", png, "image/png")},
    )
    assert sent.status_code == 200 and sent.json()["answer"]["accepted"] == 1
    await until(lambda: _bubbles(hub, contact, 2))
    customer = (await _conversation(hub, contact))["messages"][0]
    assert (customer["type"], customer["text"]) == ("image", "la cucina")
    image = await hub.http.get(f"/api/simulator/media/{customer['media_id']}")
    assert image.content == png and image.headers["content-type"] == "image/png"
    via_cloud = await hub.http.get(f"/api/media/{customer['media_id']}", headers=SERVICE)
    assert via_cloud.content == png


async def test_the_marketing_switch_is_sent_as_meta_webhook(hub: LiveHub) -> None:
    contact = _contact()
    stop = await hub.http.post(
        "/api/simulator/preferences", json={"contact": contact, "value": "stop"}
    )
    assert stop.json()["answer"]["preferences"] == 1
    assert (await _conversation(hub, contact))["consent"] == "opted_out"
    await hub.http.post("/api/simulator/preferences", json={"contact": contact, "value": "resume"})
    assert (await _conversation(hub, contact))["consent"] == "opted_in"


async def test_bad_simulator_input_is_refused(hub: LiveHub) -> None:
    bad = await hub.http.post("/api/simulator/messages", json={"contact": "abc", "kind": "text"})
    assert bad.status_code == 422
    odd = await hub.http.post("/api/simulator/messages", json={"contact": "3933", "kind": "nope"})
    assert odd.status_code == 422
