"""A simulated WhatsApp customer for end-to-end tests."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.simulate import Player, _text_of

ROME = ZoneInfo("Europe/Rome")


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
