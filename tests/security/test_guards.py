"""Body limits on every endpoint and per-IP rate limits on the webhook and the staff login."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

from redis.asyncio import Redis

from bot.keys import Keys
from bot.whatsapp.signature import sign
from tests.security.conftest import ADMIN, SECRET, HubFactory

DATA = Path(__file__).resolve().parent.parent / "data" / "whatsapp"


def _signed(body: bytes) -> dict[str, str]:
    return {"X-Hub-Signature-256": sign(body, SECRET), "Content-Type": "application/json"}


def _delivery(n: int) -> bytes:
    """The recorded text message with a fresh wamid."""
    envelope = json.loads((DATA / "text.json").read_bytes())
    envelope["entry"][0]["changes"][0]["value"]["messages"][0]["id"] = f"wamid.GUARD{n}"
    return json.dumps(envelope).encode()


async def _queued(redis: Redis, keys: Keys) -> int:
    return sum([await redis.xlen(keys.inbound_stream(s)) for s in range(2)])


async def test_webhook_rate_limit_per_source_ip(hub: HubFactory, redis: Redis,
                                                key_prefix: str) -> None:
    async with hub(webhook_rate_per_min=3, trust_forwarded_for=True) as (_, http):
        codes = []
        for n in range(4):
            body = _delivery(n)
            codes.append(await http.post("/webhook", content=body, headers=_signed(body)))
        assert [r.status_code for r in codes] == [200, 200, 200, 429]
        limited = codes[-1]
        assert 1 <= int(limited.headers["Retry-After"]) <= 60
        assert "retry in" in limited.json()["detail"]
        assert await _queued(redis, Keys(key_prefix)) == 3, "the refused delivery is not queued"
        body = _delivery(9)
        other = await http.post("/webhook", content=body,
                                headers={**_signed(body), "X-Forwarded-For": "203.0.113.7"})
        assert other.status_code == 200, "another source has its own budget"


async def test_login_rate_limit_even_with_the_right_password(hub: HubFactory) -> None:
    async with hub(login_rate_per_min=2) as (_, http):
        wrong = {"username": "admin", "password": "nope"}
        assert (await http.post("/api/staff/auth/login", json=wrong)).status_code == 401
        assert (await http.post("/api/staff/auth/login", json=ADMIN)).status_code == 200
        limited = await http.post("/api/staff/auth/login", json=ADMIN)
        assert limited.status_code == 429 and int(limited.headers["Retry-After"]) >= 1


async def _chunks(size: int) -> AsyncIterator[bytes]:
    for _ in range(size // 65536 + 1):
        yield b" " * 65536


async def test_body_limit_on_every_kind_of_endpoint(hub: HubFactory) -> None:
    async with hub(max_body_bytes=10_000) as (_, http):
        big = json.dumps({"username": "admin", "password": "x" * 20_000}).encode()
        for path in ("/api/staff/auth/login", "/api/contacts/393331234567/consent",
                     "/api/staff/gdpr/393331234567", "/webhook"):
            response = await http.post(path, content=big,
                                       headers={"Content-Type": "application/json"})
            assert response.status_code == 413, (path, response.status_code)
            assert "limit is 10000 bytes" in response.json()["detail"]
        chunked = await http.post("/api/staff/auth/login", content=_chunks(50_000),
                                  headers={"Content-Type": "application/json"})
        assert chunked.status_code == 413, "a body without Content-Length is counted too"
        small = await http.post("/api/staff/auth/login", json=ADMIN)
        assert small.status_code == 200
