"""The webhook over HTTP (real app and Redis, workers off): verification, signatures, bad input."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from redis.asyncio import Redis

from bot.config import Settings
from bot.keys import Keys
from bot.main import create_app
from bot.simulator import message_envelope, text_message, webhook_request
from bot.whatsapp.signature import sign

DATA = Path(__file__).resolve().parent.parent / "data" / "whatsapp"
SECRET = "test-app-secret"


@pytest.fixture
def settings(redis_server: str, key_prefix: str) -> Settings:
    return Settings(simulator_mode=True, redis_url=redis_server, key_prefix=key_prefix,
                    whatsapp_app_secret=SECRET, whatsapp_verify_token="verify-me",
                    run_workers=False, inbound_shards=2, public_url="http://hub.test")


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://hub.test") as http:
            yield http


async def _inbound_count(redis: Redis, keys: Keys) -> int:
    return sum([await redis.xlen(keys.inbound_stream(s)) for s in range(2)])


def _signed(body: bytes) -> dict[str, str]:
    return {"X-Hub-Signature-256": sign(body, SECRET), "Content-Type": "application/json"}


async def test_verification_echoes_challenge_only_with_the_right_token(
    client: httpx.AsyncClient,
) -> None:
    ok = await client.get("/webhook", params={"hub.mode": "subscribe",
                                              "hub.verify_token": "verify-me",
                                              "hub.challenge": "1158201444"})
    assert ok.status_code == 200 and ok.text == "1158201444"
    bad = await client.get("/webhook", params={"hub.mode": "subscribe",
                                               "hub.verify_token": "nope",
                                               "hub.challenge": "1"})
    assert bad.status_code == 403


@pytest.mark.parametrize("header", [None, "sha256=" + "0" * 64, "md5=abc", "sha256="])
async def test_unsigned_or_forged_delivery_is_refused_and_nothing_enqueued(
    client: httpx.AsyncClient, redis: Redis, key_prefix: str, header: str | None
) -> None:
    body = (DATA / "text.json").read_bytes()
    headers = {"Content-Type": "application/json"}
    if header is not None:
        headers["X-Hub-Signature-256"] = header
    response = await client.post("/webhook", content=body, headers=headers)
    assert response.status_code == 403
    assert await _inbound_count(redis, Keys(key_prefix)) == 0


async def test_recorded_text_message_is_enqueued_once_even_when_delivered_five_times(
    client: httpx.AsyncClient, redis: Redis, key_prefix: str
) -> None:
    body = (DATA / "text.json").read_bytes()
    results = [await client.post("/webhook", content=body, headers=_signed(body))
               for _ in range(5)]
    assert all(r.status_code == 200 for r in results)
    assert sum(r.json()["accepted"] for r in results) == 1
    assert await _inbound_count(redis, Keys(key_prefix)) == 1


async def test_malformed_json_is_400_with_a_reason(client: httpx.AsyncClient) -> None:
    body = b'{"object": "whatsapp_business_account", "entry": [}'
    response = await client.post("/webhook", content=body, headers=_signed(body))
    assert response.status_code == 400
    assert "not JSON" in response.json()["detail"]


@pytest.mark.parametrize("document", [{}, [], {"object": 3, "entry": "x"}, "text", 42])
async def test_unknown_shape_is_acknowledged_and_ignored(
    client: httpx.AsyncClient, document: object
) -> None:
    body = json.dumps(document).encode()
    response = await client.post("/webhook", content=body, headers=_signed(body))
    assert response.status_code == 200
    assert response.json()["accepted"] == 0


async def test_body_over_the_limit_is_413(client: httpx.AsyncClient) -> None:
    body = b"{" + b" " * 1_100_000 + b"}"
    response = await client.post("/webhook", content=body, headers=_signed(body))
    assert response.status_code == 413


@pytest.mark.parametrize("text", ["x" * 10_000, "😀🏠🔑", "", "   "])
async def test_odd_texts_are_accepted(client: httpx.AsyncClient, settings: Settings,
                                      text: str) -> None:
    envelope = message_envelope(settings, contact="393330000000", name="T",
                                message=text_message(text))
    _, headers, body = webhook_request(settings, envelope)
    response = await client.post("/webhook", content=body, headers=headers)
    assert response.status_code == 200 and response.json()["accepted"] == 1
