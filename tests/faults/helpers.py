"""WhatsApp's side of the fault tests: signed deliveries in, what the fake Cloud API got out."""

from __future__ import annotations

import asyncio
import collections
import json
import secrets
import time
from dataclasses import dataclass
from typing import Any

import httpx
from redis.asyncio import Redis

from bot.config import Settings
from bot.keys import Keys
from bot.outbound import parse_callback_tag
from bot.simulate import _text_of
from bot.simulator import (
    customer_writes,
    new_inbound_wamid,
)

# Messages the demo assistant always answers (greetings, covered FAQs): no form, no handoff.
ANSWERED = [
    "Ciao",
    "a che ora aprite il sabato?",
    "dove si trova l'agenzia?",
    "Hi there",
    "what are your opening hours on saturday?",
    "c'è un parcheggio vicino?",
]
FINAL = {"sent", "delivered", "read", "dead", "failed", "suppressed", "awaiting_window"}
WAIT_NOTICE_INDEX = 99  # the router's "one moment, please" is message ``<wamid>:99``


@dataclass(frozen=True)
class Reply:
    """One message part the fake Cloud API accepted."""

    in_reply_to: str  # inbound wamid ("" for messages not answering one)
    message_id: str
    part: int
    text: str
    ts: float

    @property
    def tag(self) -> tuple[str, int]:
        """What identifies one part: a second record with the same tag is a duplicate."""
        return self.message_id, self.part

    @property
    def is_wait_notice(self) -> bool:
        """The router's "one moment, please"."""
        return self.message_id.endswith(f":{WAIT_NOTICE_INDEX}")


def reply_of(record: dict[str, Any]) -> Reply:
    """Parse a fake Cloud API record (``biz_opaque_callback_data`` names our message)."""
    payload = record["payload"]
    tagged = parse_callback_tag(str(payload.get("biz_opaque_callback_data") or ""))
    message_id, part = tagged if tagged else ("", 0)
    wamid, sep, _ = message_id.rpartition(":")
    return Reply(
        in_reply_to=wamid if sep else "",
        message_id=message_id,
        part=part,
        text=_text_of(payload),
        ts=float(record["ts"]),
    )


def duplicates(replies: list[Reply]) -> list[tuple[str, int]]:
    """Parts the fake Cloud API accepted more than once."""
    counts = collections.Counter(r.tag for r in replies)
    return [tag for tag, count in counts.items() if count > 1]


class Meta:
    """Posts signed deliveries like WhatsApp (retrying until 200) and reads the fake Cloud API."""

    def __init__(self, settings: Settings, http: httpx.AsyncClient) -> None:
        self.settings = settings
        self.http = http
        self.keys = Keys(settings.key_prefix)

    @staticmethod
    def new_contact() -> str:
        """A fresh WhatsApp id (digits)."""
        return "39356" + f"{secrets.randbelow(10**7):07d}"

    async def write(self, contact: str, text: str, *, retry_for_s: float = 120.0) -> str:
        """The customer writes; returns the wamid once the hub accepted the delivery (200)."""
        wamid = new_inbound_wamid()
        status = await customer_writes(
            self.http,
            self.settings,
            contact=contact,
            text=text,
            name="Fault Test",
            wamid=wamid,
            retry_for_s=retry_for_s,
        )
        assert status == 200, f"the hub never accepted {wamid} (last status {status})"
        return wamid

    async def replies_to(self, contact: str) -> list[Reply]:
        """Every part the fake Cloud API accepted for the contact, oldest first."""
        response = await self.http.get(
            f"{self.settings.cloud_api_base}/_sent", params={"to": contact}
        )
        response.raise_for_status()
        return [reply_of(record) for record in response.json()]

    async def fail_next(self, contact: str, **failure: Any) -> None:
        """Make the fake Cloud API fail the contact's next sends (see ``Failure``)."""
        response = await self.http.post(
            f"{self.settings.cloud_api_base}/_control/failures", json={"to": contact, **failure}
        )
        assert response.status_code == 204, response.text

    async def wait_settled(
        self, redis: Redis, wamids: list[str], *, timeout_s: float, grace_s: float = 1.5
    ) -> None:
        """Wait until each message is processed and each of its replies reached a final status.

        Then wait ``grace_s`` more, so a late duplicate would still show up.
        """
        pending = list(wamids)
        deadline = time.monotonic() + timeout_s
        while pending:
            settled = await self._settled(redis, pending)
            pending = [w for w, ok in zip(pending, settled, strict=True) if not ok]
            if not pending:
                break
            assert time.monotonic() < deadline, f"{len(pending)} message(s) never settled"
            await asyncio.sleep(0.5)
        await asyncio.sleep(grace_s)

    async def _settled(self, redis: Redis, wamids: list[str]) -> list[bool]:
        pipe = redis.pipeline(transaction=False)
        for wamid in wamids:
            pipe.exists(self.keys.done(wamid))
            pipe.get(self.keys.bot_replies(wamid))
        found = await pipe.execute()
        counts = [
            _reply_count(found[2 * i + 1]) if found[2 * i] else -1 for i in range(len(wamids))
        ]
        pipe = redis.pipeline(transaction=False)
        for wamid, count in zip(wamids, counts, strict=True):
            for index in range(max(count, 0)):
                pipe.hget(self.keys.outbound_message(f"{wamid}:{index}"), "status")
        statuses = iter(await pipe.execute())
        return [
            count >= 0 and all(next(statuses) in FINAL for _ in range(count)) for count in counts
        ]

    async def expected_message_ids(self, redis: Redis, wamid: str) -> list[str]:
        """Ids of the replies the hub decided to send for one inbound message."""
        count = _reply_count(await redis.get(self.keys.bot_replies(wamid)))
        return [f"{wamid}:{i}" for i in range(count)]


def _reply_count(stored: str | None) -> int:
    """How many outbound messages the router makes of Rasa's stored replies."""
    if not stored:
        return 0
    return len([r for r in json.loads(stored) if r.get("text") or r.get("buttons")])
