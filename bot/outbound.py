"""Outbound messages: an idempotent queue per shard and the sender that drains it."""

from __future__ import annotations

import asyncio
import json
import random
import re
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import structlog
from pydantic import BaseModel, ConfigDict, Field
from redis.asyncio import Redis

from bot.clients.whatsapp import (
    PAIR_RATE_LIMIT,
    WhatsAppClient,
    WhatsAppError,
    buttons_payload,
    template_payload,
    text_payload,
)
from bot.inbound import shard_of
from bot.keys import Keys

log = structlog.get_logger(__name__)

MAX_TEXT = 4096
WINDOW = timedelta(hours=24)

_ENQUEUE_IF_NEW = """
if redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[1]) then
  redis.call('HSET', KEYS[2], 'message', ARGV[2], 'status', 'queued', 'attempts', '0')
  redis.call('EXPIRE', KEYS[2], ARGV[1])
  redis.call('XADD', KEYS[3], '*', 'id', ARGV[3])
  return 1
end
return 0
"""

# Token bucket shared by every sender process: refill `rate` tokens per second up to `rate`.
_TAKE_TOKEN = """
local rate = tonumber(ARGV[1])
local now = tonumber(ARGV[2])
local bucket = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(bucket[1]) or rate
local ts = tonumber(bucket[2]) or now
tokens = math.min(rate, tokens + (now - ts) * rate)
if tokens >= 1 then
  redis.call('HSET', KEYS[1], 'tokens', tokens - 1, 'ts', now)
  redis.call('EXPIRE', KEYS[1], 60)
  return 0
end
redis.call('HSET', KEYS[1], 'tokens', tokens, 'ts', now)
return math.ceil((1 - tokens) / rate * 1000)
"""


class Button(BaseModel):
    """A reply button: what the customer sees and what comes back when tapped."""

    model_config = ConfigDict(extra="forbid")

    title: str
    payload: str


class Template(BaseModel):
    """An approved template with its body parameters."""

    model_config = ConfigDict(extra="forbid")

    name: str
    language: str
    parameters: list[str] = Field(default_factory=list)


class OutboundMessage(BaseModel):
    """A message to one contact, queued until the Cloud API accepted it."""

    model_config = ConfigDict(extra="forbid")

    id: str
    to: str  # WhatsApp id, digits
    text: str | None = None
    buttons: list[Button] = Field(default_factory=list)
    template: Template | None = None
    origin: Literal["bot", "agent", "system"] = "bot"
    agent_id: str | None = None
    ticket_id: str | None = None
    in_reply_to: str | None = None
    created_at: datetime = Field(default_factory=lambda: datetime.now(tz=UTC))


def split_text(text: str, limit: int = MAX_TEXT) -> list[str]:
    """Split text into parts of at most ``limit`` characters, on sentence boundaries."""
    text = text.strip()
    if len(text) <= limit:
        return [text] if text else []
    parts: list[str] = []
    current = ""
    for sentence in re.split(r"(?<=[.!?\n])\s+", text):
        while len(sentence) > limit:  # one enormous sentence: cut on a space
            cut = sentence.rfind(" ", 0, limit)
            cut = cut if cut > limit // 2 else limit
            parts.append(sentence[:cut].strip())
            sentence = sentence[cut:].strip()
        candidate = f"{current} {sentence}".strip() if current else sentence
        if len(candidate) > limit:
            parts.append(current)
            current = sentence
        else:
            current = candidate
    if current:
        parts.append(current)
    return [part for part in parts if part]


def payloads_for(message: OutboundMessage) -> list[dict[str, Any]]:
    """The Cloud API payloads that deliver one outbound message, in order."""
    if message.template is not None:
        t = message.template
        return [template_payload(message.to, t.name, t.language, t.parameters)]
    parts = split_text(message.text or "")
    if not message.buttons:
        return [text_payload(message.to, part) for part in parts]
    last = parts.pop() if parts else " "
    buttons = [(b.title, b.payload) for b in message.buttons]
    return [text_payload(message.to, part) for part in parts] + [
        buttons_payload(message.to, last, buttons)
    ]


async def enqueue(
    redis: Redis, *, keys: Keys, message: OutboundMessage, shards: int, ttl_s: int
) -> bool:
    """Queue the message once; a second enqueue of the same id is a no-op."""
    added = await redis.eval(  # type: ignore[misc]
        _ENQUEUE_IF_NEW,
        3,
        keys.outbound_seen(message.id),
        keys.outbound_message(message.id),
        keys.outbound_stream(shard_of(message.to, shards)),
        str(ttl_s),
        message.model_dump_json(),
        message.id,
    )
    return bool(added)


class Sender:
    """Drains outbound entries: rate limit, retries with backoff, dead letters."""

    def __init__(
        self,
        redis: Redis,
        client: WhatsAppClient,
        *,
        keys: Keys,
        phone_number_id: str,
        rate_per_s: float,
        max_attempts: int,
        backoff_base_s: float,
        backoff_max_s: float,
    ) -> None:
        self._redis = redis
        self._client = client
        self._keys = keys
        self._phone_number_id = phone_number_id
        self._rate = rate_per_s
        self._max_attempts = max_attempts
        self._base = backoff_base_s
        self._max = backoff_max_s

    async def handle(self, fields: dict[str, str]) -> None:
        """Deliver one queued message exactly once (skip it when already sent)."""
        key = self._keys.outbound_message(fields["id"])
        stored = await self._redis.hgetall(key)
        if not stored or stored.get("status") in ("sent", "delivered", "read", "dead"):
            return
        message = OutboundMessage.model_validate_json(stored["message"])
        sent_parts = int(stored.get("parts_sent", "0"))
        for index, payload in enumerate(payloads_for(message)):
            if index < sent_parts:
                continue
            wamid = await self._deliver(message, payload, key)
            if wamid is None:
                return
            await self._record_sent(message, key, wamid, index)
        await self._redis.hset(key, "status", "sent")

    async def _deliver(
        self, message: OutboundMessage, payload: dict[str, Any], key: str
    ) -> str | None:
        attempt = 0
        while True:
            attempt += 1
            await self._take_token()
            try:
                return await self._client.send(payload)
            except WhatsAppError as error:
                await self._redis.hincrby(key, "attempts", 1)
                if not error.is_retryable or attempt >= self._max_attempts:
                    await self._dead_letter(message, key, error)
                    return None
                await asyncio.sleep(self._backoff(attempt, error))

    def _backoff(self, attempt: int, error: WhatsAppError) -> float:
        base = self._base * (4 if error.code == PAIR_RATE_LIMIT else 1)
        delay = min(self._max, base * 2 ** (attempt - 1))
        return delay * (0.5 + random.random() / 2)  # noqa: S311 - jitter, not crypto

    async def _take_token(self) -> None:
        while True:
            now = datetime.now(tz=UTC).timestamp()
            wait_ms = await self._redis.eval(  # type: ignore[misc]
                _TAKE_TOKEN, 1, self._keys.rate_bucket(self._phone_number_id), self._rate, now
            )
            if int(wait_ms) <= 0:
                return
            await asyncio.sleep(int(wait_ms) / 1000)

    async def _record_sent(
        self, message: OutboundMessage, key: str, wamid: str, index: int
    ) -> None:
        ttl = 30 * 24 * 3600
        pipe = self._redis.pipeline(transaction=True)
        pipe.hset(key, mapping={"parts_sent": index + 1, "wamid": wamid})
        pipe.set(self._keys.wamid_to_message(wamid), message.id, ex=ttl)
        pipe.xadd(self._keys.transcript(message.to), _transcript_fields(message, wamid, index))
        await pipe.execute()

    async def _dead_letter(self, message: OutboundMessage, key: str, error: WhatsAppError) -> None:
        log.error(
            "outbound.dead_letter", message_id=message.id, code=error.code, status=error.status
        )
        pipe = self._redis.pipeline(transaction=True)
        pipe.hset(key, mapping={"status": "dead", "error": str(error)})
        pipe.xadd(
            self._keys.dead_letters(),
            {
                "id": message.id,
                "to": message.to,
                "code": str(error.code or ""),
                "status": str(error.status),
                "error": error.message[:500],
            },
            maxlen=100_000,
            approximate=True,
        )
        await pipe.execute()


def _transcript_fields(message: OutboundMessage, wamid: str, index: int) -> dict[str, str]:
    return {
        "role": message.origin,
        "text": message.text or (message.template.name if message.template else ""),
        "buttons": json.dumps([b.title for b in message.buttons]),
        "wamid": wamid,
        "message_id": message.id,
        "part": str(index),
        "agent_id": message.agent_id or "",
        "ts": datetime.now(tz=UTC).isoformat(),
        "status": "sent",
    }
