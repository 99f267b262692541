"""Exactly-once replies and Meta's rules on a live hub (real Redis, real HTTP, fake Cloud API).

Duplicated and concurrent deliveries, a worker process killed mid-message, 429/131056 retries,
dead letters and their retry, the 24-hour window (known in advance or learned from 131047),
opt-out from WhatsApp's setting, status webhooks and the media download endpoint.
"""

from __future__ import annotations

import asyncio
import collections
import os
import secrets
import signal
import subprocess
import sys
from datetime import UTC, datetime

import pytest
from redis.asyncio import Redis
from typer.testing import CliRunner

from bot.config import get_settings
from bot.replies import canned_reply
from bot.simulator import new_inbound_wamid, preference_envelope
from tests.bot.whatsapp_live import (
    SERVICE,
    LiveHub,
    live_hub,
    recorded_message,
    until,
)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _contact() -> str:
    return "39348" + f"{secrets.randbelow(10**7):07d}"


@pytest.fixture
async def hub(redis: Redis, redis_server: str, key_prefix: str):
    async with live_hub(redis, redis_server, key_prefix) as running:
        yield running


async def _sent_count(hub: LiveHub, contact: str, count: int) -> bool:
    return len(await hub.sent_to(contact)) >= count


async def _status(hub: LiveHub, message_id: str) -> str | None:
    return await hub.redis.hget(hub.keys.outbound_message(message_id), "status")


async def _fail_next(hub: LiveHub, contact: str, **failure: object) -> None:
    response = await hub.http.post("/fake-cloud/_control/failures", json={"to": contact, **failure})
    assert response.status_code == 204


async def _write(hub: LiveHub, contact: str, name: str = "image") -> str:
    wamid = new_inbound_wamid()
    response = await hub.deliver(recorded_message(name, contact=contact, wamid=wamid))
    assert response.status_code == 200
    return wamid


async def test_the_same_delivery_five_times_concurrently_gets_one_reply(hub: LiveHub) -> None:
    contact = _contact()
    wamid = new_inbound_wamid()
    envelope = recorded_message("image", contact=contact, wamid=wamid)
    answers = await asyncio.gather(*[hub.deliver(envelope) for _ in range(5)])
    assert all(a.status_code == 200 for a in answers)
    assert sum(a.json()["accepted"] for a in answers) == 1
    await until(lambda: _status_is(hub, f"{wamid}:0", "read"))
    later = [await hub.deliver(envelope) for _ in range(5)]  # Meta retrying hours later
    assert all(a.json()["duplicates"] == 1 for a in later)
    await asyncio.sleep(0.3)
    assert len(await hub.sent_to(contact)) == 1


async def _status_is(hub: LiveHub, message_id: str, wanted: str) -> bool:
    return await _status(hub, message_id) == wanted


def _worker_process(hub: LiveHub) -> subprocess.Popen[bytes]:
    """``wabot worker`` in its own process, on the hub's Redis and prefix."""
    settings = hub.settings
    env = {
        **os.environ,
        "PYTHONPATH": ROOT,
        "BOT_REDIS_URL": settings.redis_url,
        "BOT_KEY_PREFIX": settings.key_prefix,
        "BOT_PUBLIC_URL": settings.public_url,
        "BOT_RASA_URL": settings.rasa_url,
        "BOT_INBOUND_SHARDS": str(settings.inbound_shards),
        "BOT_OUTBOUND_SHARDS": str(settings.outbound_shards),
        "BOT_LEASE_MS": "1000",
        "BOT_SEND_BACKOFF_BASE_S": "0.2",
    }
    code = "from bot.cli import app; app(['worker'])"
    return subprocess.Popen(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


async def test_a_worker_killed_mid_message_still_replies_exactly_once(
    redis: Redis, redis_server: str, key_prefix: str
) -> None:
    async with live_hub(redis, redis_server, key_prefix, run_workers=False) as hub:
        contacts = [_contact() for _ in range(12)]
        for contact in contacts[:3]:  # some sends are mid-retry when the worker dies
            await _fail_next(hub, contact, status=500, code=131000, count=1)
        first = _worker_process(hub)
        try:
            wamids = []
            for round_ in range(3):
                for contact in contacts:
                    kind = ("image", "location", "document")[round_]
                    wamids.append(await _write(hub, contact, kind))
            await until(lambda: _total_sent(hub, contacts, 4), timeout=60)
            first.send_signal(signal.SIGKILL)  # no cleanup, leases left to expire
            first.wait(10)
        finally:
            if first.poll() is None:
                first.kill()
        second = _worker_process(hub)
        try:
            await until(lambda: _total_sent(hub, contacts, len(wamids)), timeout=90)
            await asyncio.sleep(1.0)  # anything doubled would show up now
        finally:
            second.send_signal(signal.SIGTERM)
            second.wait(20)
        tags = collections.Counter()
        order: dict[str, list[str]] = {}
        for contact in contacts:
            for record in await hub.sent_to(contact):
                tags[record["payload"]["biz_opaque_callback_data"]] += 1
                order.setdefault(contact, []).append(record["payload"]["text"]["body"])
        assert sorted(tags) == sorted(f"{w}:0#0" for w in wamids)
        assert set(tags.values()) == {1}, "a reply was sent twice"
        expected = [canned_reply(k, "it") for k in ("media", "location", "media")]
        assert all(replies == expected for replies in order.values()), "order per contact"


async def _total_sent(hub: LiveHub, contacts: list[str], count: int) -> bool:
    total = 0
    for contact in contacts:
        total += len(await hub.sent_to(contact))
    return total >= count


async def test_429_then_200_is_delivered_once_and_in_order(hub: LiveHub) -> None:
    contact = _contact()
    await _fail_next(hub, contact, status=429, code=130429, count=2)
    first = await _write(hub, contact, "image")
    second = await _write(hub, contact, "location")
    await until(lambda: _sent_count(hub, contact, 2))
    await asyncio.sleep(0.3)
    bodies = [r["payload"]["text"]["body"] for r in await hub.sent_to(contact)]
    assert bodies == [canned_reply("media", "it"), canned_reply("location", "it")]
    assert await hub.redis.hget(hub.keys.outbound_message(f"{first}:0"), "attempts") == "2"
    assert await hub.redis.hget(hub.keys.outbound_message(f"{second}:0"), "attempts") == "0"


async def test_pair_rate_limit_paces_the_contact_then_delivers(hub: LiveHub) -> None:
    contact = _contact()
    await _fail_next(hub, contact, status=400, code=131056, message="pair rate limit", count=1)
    wamid = await _write(hub, contact)
    await until(lambda: _pace_set(hub, contact), timeout=5)
    await until(lambda: _sent_count(hub, contact, 1))
    assert await _status(hub, f"{wamid}:0") in ("sent", "delivered", "read")


async def _pace_set(hub: LiveHub, contact: str) -> bool:
    return bool(await hub.redis.exists(hub.keys.pace(contact))) or bool(await hub.sent_to(contact))


async def test_permanent_failure_is_a_dead_letter_staff_can_see_and_retry(
    hub: LiveHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    contact = _contact()
    await _fail_next(hub, contact, status=400, code=131026, message="Message undeliverable")
    wamid = await _write(hub, contact)
    await until(lambda: _status_is(hub, f"{wamid}:0", "dead"))
    assert (await hub.http.get("/api/outbound/dead-letters")).status_code == 401
    letters = (await hub.http.get("/api/outbound/dead-letters", headers=SERVICE)).json()
    assert [(d["message_id"], d["code"]) for d in letters] == [(f"{wamid}:0", "131026")]
    assert letters[0]["text"] == canned_reply("media", "it")
    # the CLI (`wabot outbound retry-dead`) requeues it; the sender delivers it this time
    monkeypatch.setenv("BOT_REDIS_URL", hub.settings.redis_url)
    monkeypatch.setenv("BOT_KEY_PREFIX", hub.settings.key_prefix)
    monkeypatch.setenv("BOT_OUTBOUND_SHARDS", str(hub.settings.outbound_shards))
    get_settings.cache_clear()
    try:
        from bot.cli import app

        result = await asyncio.to_thread(
            CliRunner().invoke, app, ["outbound", "retry-dead", "--all"]
        )
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert f"{wamid}:0" in result.output
    await until(lambda: _sent_count(hub, contact, 1))
    assert (await hub.http.get("/api/outbound/dead-letters", headers=SERVICE)).json() == []


async def test_a_failed_status_after_acceptance_is_a_dead_letter(hub: LiveHub) -> None:
    contact = _contact()
    await _fail_next(hub, contact, code=131026, as_status=True)
    wamid = await _write(hub, contact)
    await until(lambda: _status_is(hub, f"{wamid}:0", "failed"))
    letters = (await hub.http.get("/api/outbound/dead-letters", headers=SERVICE)).json()
    assert letters[0]["code"] == "131026" and letters[0]["status"] == "failed"
    retried = await hub.http.post(
        "/api/outbound/dead-letters/retry", headers=SERVICE, json={"message_ids": [f"{wamid}:0"]}
    )
    assert retried.json() == {"requeued": [f"{wamid}:0"]}
    await until(lambda: _sent_count(hub, contact, 2))


async def _agent_says(hub: LiveHub, contact: str, text: str, origin: str = "agent") -> str:
    response = await hub.http.post(
        "/api/outbound/messages",
        headers=SERVICE,
        json={"to": f"+{contact}", "text": text, "origin": origin},
    )
    assert response.status_code == 202
    return str(response.json()["message_id"])


async def test_outside_the_window_the_reply_waits_for_the_customer_after_a_template(
    hub: LiveHub,
) -> None:
    contact = _contact()
    await _write(hub, contact, "location")
    await until(lambda: _sent_count(hub, contact, 1))
    closed = await hub.http.post(f"/api/simulator/contacts/{contact}/close-window")
    assert closed.status_code == 204
    message_id = await _agent_says(hub, contact, "Ecco le planimetrie che ci ha chiesto.")
    await until(lambda: _sent_count(hub, contact, 2))
    template = (await hub.sent_to(contact))[1]["payload"]
    assert template["type"] == "template" and template["template"]["name"] == "follow_up_request"
    assert await _status(hub, message_id) == "awaiting_window"
    assert await hub.redis.lrange(hub.keys.held(contact), 0, -1) == [message_id]
    await _write(hub, contact, "contacts")  # the customer answers: the window reopens
    await until(lambda: _sent_count(hub, contact, 4))
    bodies = [r["payload"].get("text", {}).get("body") for r in await hub.sent_to(contact)][2:]
    assert bodies == ["Ecco le planimetrie che ci ha chiesto.", canned_reply("contacts", "it")]


async def test_131047_from_the_api_is_handled_like_a_closed_window(hub: LiveHub) -> None:
    contact = _contact()
    await _write(hub, contact, "location")
    await until(lambda: _sent_count(hub, contact, 1))
    await _fail_next(hub, contact, status=400, code=131047, message="Re-engagement message")
    message_id = await _agent_says(hub, contact, "Le scrivo per la visita di domani.")
    await until(lambda: _sent_count(hub, contact, 2))
    assert (await hub.sent_to(contact))[1]["payload"]["type"] == "template"
    assert await _status(hub, message_id) == "awaiting_window"


async def test_131047_in_a_failed_status_holds_the_message_too(hub: LiveHub) -> None:
    contact = _contact()
    await _write(hub, contact, "location")
    await until(lambda: _sent_count(hub, contact, 1))
    await _fail_next(hub, contact, code=131047, as_status=True)
    message_id = await _agent_says(hub, contact, "Aggiornamento sulla sua pratica.")
    await until(lambda: _status_is(hub, message_id, "awaiting_window"))
    await until(lambda: _sent_count(hub, contact, 3))  # location ack, failed text, template
    assert (await hub.sent_to(contact))[2]["payload"]["type"] == "template"
    await _write(hub, contact, "sticker")
    await until(lambda: _sent_count(hub, contact, 5))
    resent = (await hub.sent_to(contact))[3]["payload"]["text"]["body"]
    assert resent == "Aggiornamento sulla sua pratica."


async def test_marketing_opt_out_stops_proactive_messages_not_replies(hub: LiveHub) -> None:
    contact = _contact()
    await _write(hub, contact, "location")
    await until(lambda: _sent_count(hub, contact, 1))
    stop = preference_envelope(hub.settings, contact=contact, name="Giulia", value="stop")
    assert (await hub.deliver(stop)).json()["preferences"] == 1
    consent = (await hub.http.get(f"/api/contacts/{contact}/consent", headers=SERVICE)).json()
    assert consent["state"] == "opted_out"
    log = await hub.redis.xrange(hub.keys.consent_log(contact))
    assert log[-1][1]["source"] == "meta_user_preferences:stop"
    refused = await hub.http.post(
        "/api/outbound/templates",
        headers=SERVICE,
        json={
            "to": contact,
            "template": "new_listings",
            "parameters": {"customer_name": "Giulia", "area": "Isola"},
        },
    )
    assert refused.status_code == 409
    notice = await _agent_says(hub, contact, "Promemoria automatico", origin="system")
    await until(lambda: _status_is(hub, notice, "suppressed"))
    reply_to = await _write(hub, contact, "image")  # the customer's own message: answered
    await until(lambda: _sent_count(hub, contact, 2))
    assert await _status(hub, f"{reply_to}:0") in ("sent", "delivered", "read")
    resume = preference_envelope(hub.settings, contact=contact, name="Giulia", value="resume")
    await hub.deliver(resume)
    sent = await hub.http.post(
        "/api/outbound/templates",
        headers=SERVICE,
        json={
            "to": contact,
            "template": "new_listings",
            "parameters": ["Giulia", "Isola"],
        },
    )
    assert sent.status_code == 202
    await until(lambda: _sent_count(hub, contact, 3))


async def test_template_calls_meta_would_refuse_are_refused_first(hub: LiveHub) -> None:
    answer = await hub.http.post(
        "/api/outbound/templates",
        headers=SERVICE,
        json={
            "to": "393330000000",
            "template": "viewing_reminder",
            "parameters": ["only one"],
        },
    )
    assert answer.status_code == 422 and "takes 4 parameters" in answer.text


async def test_statuses_update_the_message_and_the_transcript(hub: LiveHub) -> None:
    contact = _contact()
    wamid = await _write(hub, contact, "video")
    await until(lambda: _status_is(hub, f"{wamid}:0", "read"))
    stored = await hub.redis.hgetall(hub.keys.outbound_message(f"{wamid}:0"))
    assert {"sent_at", "delivered_at", "read_at"} <= set(stored)
    entries = [f for _, f in await hub.redis.xrange(hub.keys.transcript(contact))]
    assert [f["role"] for f in entries[:2]] == ["customer", "bot"]
    statuses = [f["status"] for f in entries if f["role"] == "status"]
    assert statuses == ["sent", "delivered", "read"]


async def test_media_is_downloaded_through_the_cloud_api(hub: LiveHub) -> None:
    upload = await hub.http.post(
        "/fake-cloud/v21.0/100000000000001/media",
        headers={"Authorization": "Bearer simulator-token"},
        files={"file": ("plan.pdf", b"%PDF-1.4 plan", "application/pdf")},
        data={"messaging_product": "whatsapp", "type": "application/pdf"},
    )
    media_id = upload.json()["id"]
    got = await hub.http.get(f"/api/media/{media_id}", headers=SERVICE)
    assert got.status_code == 200 and got.content == b"%PDF-1.4 plan"
    assert got.headers["content-type"] == "application/pdf"
    assert (await hub.http.get(f"/api/media/{media_id}")).status_code == 401
    assert (await hub.http.get("/api/media/404404", headers=SERVICE)).status_code == 404
    no_token = await hub.http.get(f"/fake-cloud/_media/{media_id}")
    assert no_token.status_code == 401


async def test_sent_messages_have_the_time_they_were_accepted(hub: LiveHub) -> None:
    contact = _contact()
    before = datetime.now(tz=UTC).timestamp()
    await _write(hub, contact)
    await until(lambda: _sent_count(hub, contact, 1))
    assert (await hub.sent_to(contact))[0]["ts"] >= before
