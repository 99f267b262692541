"""End to end: an editor publishes a changed answer; customers get it within seconds."""

from __future__ import annotations

import asyncio
import time

from bot.simulate import Player
from tests.e2e.helpers import Customer

ADMIN = {"username": "admin", "password": "wabot-admin"}
MARKER = "Orari aggiornati: il sabato siamo aperti dalle 10:00 alle 12:30."


async def test_published_answer_reaches_customers_within_seconds(
    customer_it: Customer, player: Player
) -> None:
    base = player._settings.public_url
    http = player._http
    login = await http.post(f"{base}/api/staff/auth/login", json=ADMIN)
    headers = {"Authorization": f"Bearer {login.json()['token']}"}
    doc = (await http.get(f"{base}/api/kb/docs/opening_hours/it", headers=headers)).json()
    original = {k: doc[k] for k in ("title", "alt_questions", "tags", "team", "updated", "body")}
    changed = {**original, "body": MARKER, "version": doc["version"]}
    try:
        saved = await http.put(
            f"{base}/api/kb/docs/opening_hours/it", headers=headers, json=changed, timeout=120
        )
        assert saved.status_code == 200, saved.text
        stale = await http.put(
            f"{base}/api/kb/docs/opening_hours/it", headers=headers, json=changed, timeout=120
        )
        assert stale.status_code == 409
        published = time.monotonic()
        replies: list[str] = []
        while time.monotonic() - published < 5:
            replies = await customer_it.say("a che ora aprite il sabato?")
            if any(MARKER in r for r in replies):
                break
            await asyncio.sleep(0.2)
        assert any(MARKER in r for r in replies), replies
        assert time.monotonic() - published < 5
    finally:
        current = (await http.get(f"{base}/api/kb/docs/opening_hours/it", headers=headers)).json()
        restore = {**original, "version": current["version"]}
        await http.put(
            f"{base}/api/kb/docs/opening_hours/it", headers=headers, json=restore, timeout=120
        )
