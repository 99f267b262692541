"""A simulated WhatsApp customer for end-to-end tests."""

from __future__ import annotations

import asyncio
import json
import secrets
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from redis.asyncio import Redis

from bot.simulate import Player, _text_of

ROME = ZoneInfo("Europe/Rome")
ADMIN = {"username": "admin", "password": "wabot-admin"}


class Customer:
    """One simulated WhatsApp contact talking to the running stack."""

    def __init__(self, player: Player, lang: str) -> None:
        self.player = player
        self.contact = "39301" + f"{secrets.randbelow(10**7):07d}"
        self.name = "Cliente Test" if lang == "it" else "Test Customer"
        self.clock = datetime(2026, 3, 3, 10, 0, tzinfo=ROME)  # a Tuesday, office open

    async def say(self, text: str) -> list[str]:
        """Send one message and return the texts WhatsApp received in answer."""
        before = len(await self.player.sent_to(self.contact))
        self.clock += timedelta(minutes=1)
        wamid = await self.player.send_text(self.contact, text, self.clock, self.name)
        await self.player.wait_processed(wamid)
        return [_text_of(r["payload"]) for r in await self.player.sent_to(self.contact, before)]


async def staff_login(
    http: httpx.AsyncClient, base: str, credentials: dict[str, str]
) -> dict[str, str]:
    """Bearer headers of a staff user."""
    response = await http.post(f"{base}/api/staff/auth/login", json=credentials)
    response.raise_for_status()
    return {"Authorization": f"Bearer {response.json()['token']}"}


async def new_agent(http: httpx.AsyncClient, base: str) -> dict[str, str]:
    """A fresh agent of every team, created by the bootstrap admin (simulator mode)."""
    admin = await staff_login(http, base, ADMIN)
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
    return await staff_login(http, base, {"username": username, "password": password})


async def rasa_user_events(redis: Redis, contact: str) -> int:
    """How many user messages Rasa's tracker holds for a contact."""
    stored = await redis.get(f"rasa:tracker:{contact}")
    events = json.loads(stored)["events"] if stored else []
    return sum(1 for e in events if e.get("event") == "user")


async def gate_of(player: Player, contact: str) -> dict[str, Any]:
    """The handoff gate of a contact (``mode`` bot or human)."""
    response = await player._http.get(
        f"{player._settings.handoff_base}/api/handoff/conversations/+{contact}/gate",
        headers=player._service,
    )
    response.raise_for_status()
    gate: dict[str, Any] = response.json()
    return gate


async def wait_sent(player: Player, contact: str, start: int, tries: int = 100) -> list[str]:
    """Texts the fake Cloud API received for a contact after ``start`` (waits for one)."""
    for _ in range(tries):
        sent = await player.sent_to(contact, start)
        if sent:
            return [_text_of(s["payload"]) for s in sent]
        await asyncio.sleep(0.1)
    return []
