"""Outbound messages: an idempotent queue per shard, the sender that drains it, dead letters.

Each message is a Redis hash (``Keys.outbound_message``) holding the message, its status and
the parts already sent; its id goes to the contact's outbound shard stream. The sender applies
WhatsApp's rules before each send (consent, the 24-hour window: ``bot/whatsapp/policy.py``),
the per-number token bucket and per-contact pacing, retries 429/5xx/timeouts with exponential
backoff and jitter, and moves a message that cannot be delivered to the dead-letter stream,
from which staff (API) or ``wabot outbound retry-dead`` requeue it.
"""

from __future__ import annotations

import asyncio
import json
import random
import re
import time
from datetime import UTC, datetime
from typing import Any, Literal

import structlog
from pydantic import BaseModel, ConfigDict, Field
from redis.asyncio import Redis
from redis.asyncio.client import Pipeline

from bot import metrics
from bot.clients.whatsapp import PAIR_RATE_LIMIT, WhatsAppClient, WhatsAppError
from bot.inbound import shard_of
from bot.keys import Keys
from bot.privacy import conversation_context
from bot.whatsapp import payloads
from bot.whatsapp import redis_replies as replies
from bot.whatsapp.consent import ConsentState, is_opted_out, record_consent
from bot.whatsapp.policy import Verdict, judge
from bot.whatsapp.templates import TemplateCatalog, cached_catalog
from bot.worker import Deferred

log = structlog.get_logger(__name__)

MAX_TEXT = payloads.MAX_TEXT
MARKETING_OPT_OUT = 131050  # the customer stopped marketing messages in WhatsApp
# Nothing more to do for a message in these states (a redelivered stream entry is skipped).
DONE = frozenset({"sent", "delivered", "read", "dead", "suppressed", "failed", "awaiting_window"})
RANK = {
    "queued": 0,
    "awaiting_window": 0,
    "sent": 1,
    "delivered": 2,
    "read": 3,
    "failed": 4,
    "dead": 4,
    "suppressed": 4,
}

# Times of the statuses Meta reported (cleared when a message is sent again).
STATUS_STAMPS = ("sent_at", "delivered_at", "read_at", "failed_at", "dead_at")

_ENQUEUE_IF_NEW = """
if redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[1]) then
  redis.call('HSET', KEYS[2], 'message', ARGV[2], 'status', 'queued', 'attempts', '0')
  redis.call('EXPIRE', KEYS[2], ARGV[1])
  if KEYS[3] ~= '' then redis.call('XADD', KEYS[3], '*', 'id', ARGV[3], 'to', ARGV[4]) end
  return 1
end
return 0
"""

# Every part was accepted: "sent" unless a status webhook already moved it further.
_MARK_SENT = """
local current = redis.call('HGET', KEYS[1], 'status')
if current == 'queued' or current == 'awaiting_window' then
  redis.call('HSET', KEYS[1], 'status', 'sent')
end
redis.call('HSET', KEYS[1], 'accepted_at', ARGV[1])
return 1
"""

# Park a message until the customer writes again (KEYS: message hash, held list).
_HOLD = """
redis.call('HSET', KEYS[1], 'status', 'awaiting_window', 'awaiting_window_at', ARGV[2])
redis.call('LREM', KEYS[2], 0, ARGV[1])
redis.call('RPUSH', KEYS[2], ARGV[1])
redis.call('EXPIRE', KEYS[2], ARGV[3])
return 1
"""

# Requeue every held message of a contact, oldest first (KEYS: held list, stream; ARGV: prefix,
# contact).
_RELEASE_HELD = """
local ids = redis.call('LRANGE', KEYS[1], 0, -1)
redis.call('DEL', KEYS[1])
local released = 0
for _, id in ipairs(ids) do
  local key = ARGV[1] .. 'msg:' .. id
  if redis.call('HGET', key, 'status') == 'awaiting_window' then
    redis.call('HSET', key, 'status', 'queued')
    redis.call('HDEL', key, 'sent_at', 'delivered_at', 'read_at', 'failed_at')
    redis.call('XADD', KEYS[2], '*', 'id', id, 'to', ARGV[2])
    released = released + 1
  end
end
return released
"""

# Token buckets shared by every process, taken together or not at all: KEYS[i] holds up to
# ARGV[2i-1] tokens refilled at ARGV[2i] per second; the last ARGV is the time. Returns 0 when
# a token of each bucket was taken, else the milliseconds to wait before asking again.
_TAKE_TOKENS = """
local now = tonumber(ARGV[#ARGV])
local levels, wait = {}, 0
for i, key in ipairs(KEYS) do
  local capacity, rate = tonumber(ARGV[2 * i - 1]), tonumber(ARGV[2 * i])
  local bucket = redis.call('HMGET', key, 'tokens', 'ts')
  local tokens = tonumber(bucket[1]) or capacity
  local ts = tonumber(bucket[2]) or now
  levels[i] = math.min(capacity, tokens + math.max(0, now - ts) * rate)
  if levels[i] < 1 then wait = math.max(wait, (1 - levels[i]) / rate) end
end
for i, key in ipairs(KEYS) do
  local capacity, rate = tonumber(ARGV[2 * i - 1]), tonumber(ARGV[2 * i])
  local left = levels[i]
  if wait == 0 then left = left - 1 end
  redis.call('HSET', key, 'tokens', left, 'ts', now)
  redis.call('EXPIRE', key, math.ceil(capacity / rate) + 1)
end
if wait == 0 then return 0 end
return math.max(1, math.ceil(wait * 1000))
"""


PAIR_RATE_MARGIN = 0.95  # the sender paces each contact at 95 % of Meta's pair rate


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
    accepted_at: datetime | None = None  # when the webhook accepted the message answered


class DeadLetter(BaseModel):
    """A message that could not be delivered, as staff see it."""

    entry_id: str
    message_id: str
    to: str
    code: str
    status: str
    error: str
    at: str | None = None
    text: str | None = None


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


def payloads_for(message: OutboundMessage, language: str = "it") -> list[dict[str, Any]]:
    """The Cloud API payloads that deliver one outbound message, in order."""
    if message.template is not None:
        t = message.template
        found = [payloads.template_payload(message.to, t.name, t.language, t.parameters)]
    elif not message.buttons:
        found = [payloads.text_payload(message.to, p) for p in split_text(message.text or "")]
    else:
        found = _with_choices(message, language)
    # Echoed back in status webhooks: tells which part of which message a status is about,
    # even when a crash kept us from recording the wamid Meta answered.
    return [
        {**payload, "biz_opaque_callback_data": callback_tag(message.id, index)}
        for index, payload in enumerate(found)
    ]


def callback_tag(message_id: str, part: int) -> str:
    """``biz_opaque_callback_data`` of one part (Meta allows 512 characters)."""
    return f"{message_id[:500]}#{part}"


def parse_callback_tag(tag: str) -> tuple[str, int] | None:
    """Message id and part of a callback tag (None when it isn't one of ours)."""
    message_id, sep, part = tag.rpartition("#")
    if not sep or not part.isdigit():
        return None
    return message_id, int(part)


def _with_choices(message: OutboundMessage, language: str) -> list[dict[str, Any]]:
    """Text parts, then the last part carrying the buttons (or list) within its body limit."""
    options = [(b.title, b.payload) for b in message.buttons]
    limit = payloads.MAX_BUTTON_BODY if len(options) <= payloads.MAX_BUTTONS else MAX_TEXT
    parts = split_text(message.text or "")
    last = parts.pop() if parts else ""
    if len(last) > limit:  # the buttons carry the last sentences, the rest goes before
        pieces = split_text(last, limit)
        last = pieces.pop()
        parts += split_text(" ".join(pieces))
    return [payloads.text_payload(message.to, part) for part in parts] + [
        payloads.choice_payload(message.to, last, options, language)
    ]


async def enqueue(
    redis: Redis, *, keys: Keys, message: OutboundMessage, shards: int, ttl_s: int
) -> bool:
    """Queue the message once; a second enqueue of the same id is a no-op."""
    stream = keys.outbound_stream(shard_of(message.to, shards))
    return await _create(redis, keys=keys, message=message, ttl_s=ttl_s, stream=stream)


def enqueue_in(
    pipe: Pipeline, *, keys: Keys, message: OutboundMessage, shards: int, ttl_s: int
) -> None:
    """Queue :func:`enqueue` in a pipeline (same once-only script)."""
    pipe.eval(
        _ENQUEUE_IF_NEW,
        3,
        keys.outbound_seen(message.id),
        keys.outbound_message(message.id),
        keys.outbound_stream(shard_of(message.to, shards)),
        str(ttl_s),
        message.model_dump_json(),
        message.id,
        message.to,
    )


async def create_unqueued(
    redis: Redis, *, keys: Keys, message: OutboundMessage, ttl_s: int
) -> bool:
    """Store the message once without queueing it (the caller sends it right away)."""
    return await _create(redis, keys=keys, message=message, ttl_s=ttl_s, stream="")


async def _create(
    redis: Redis, *, keys: Keys, message: OutboundMessage, ttl_s: int, stream: str
) -> bool:
    added = await redis.eval(  # type: ignore[misc]
        _ENQUEUE_IF_NEW,
        3,
        keys.outbound_seen(message.id),
        keys.outbound_message(message.id),
        stream,
        str(ttl_s),
        message.model_dump_json(),
        message.id,
        message.to,
    )
    return bool(added)


async def take_tokens(redis: Redis, buckets: list[tuple[str, float, float]]) -> int:
    """Take one token from each ``(key, capacity, per_second)`` bucket, all or none.

    Returns:
        0 when taken, else the milliseconds until every bucket has a token again.
    """
    limits = [value for _, capacity, rate in buckets for value in (capacity, rate)]
    keys = [key for key, _, _ in buckets]
    wait_ms = await redis.eval(  # type: ignore[misc]
        _TAKE_TOKENS, len(keys), *keys, *limits, time.time()
    )
    return int(wait_ms)


async def hold(redis: Redis, *, keys: Keys, message_id: str, contact: str, ttl_s: int) -> None:
    """Park a message until the contact's window reopens (their next message)."""
    now = datetime.now(tz=UTC).isoformat()
    await redis.eval(  # type: ignore[misc]
        _HOLD, 2, keys.outbound_message(message_id), keys.held(contact), message_id, now, ttl_s
    )


async def release_held(redis: Redis, *, keys: Keys, contact: str, shards: int) -> int:
    """Requeue the contact's held messages (the customer wrote: the window is open again)."""
    stream = keys.outbound_stream(shard_of(contact, shards))
    released = await redis.eval(  # type: ignore[misc]
        _RELEASE_HELD, 2, keys.held(contact), stream, keys.prefix, contact
    )
    return int(released)


def release_held_in(pipe: Pipeline, *, keys: Keys, contact: str, shards: int) -> None:
    """Queue :func:`release_held` in a pipeline (the router's one round trip per message)."""
    stream = keys.outbound_stream(shard_of(contact, shards))
    pipe.eval(_RELEASE_HELD, 2, keys.held(contact), stream, keys.prefix, contact)


def reengagement_message(
    catalog: TemplateCatalog, *, contact: str, contact_fields: dict[str, str]
) -> OutboundMessage | None:
    """The template that invites the customer back when a reply had to be held."""
    spec = catalog.get(catalog.reengagement) if catalog.reengagement else None
    if spec is None:
        return None
    language = spec.language_for(contact_fields.get("language") or "it")
    fallback = "cliente" if language == "it" else "there"
    known = {"customer_name": contact_fields.get("name") or fallback}
    if any(p not in known for p in spec.parameters):
        log.error("outbound.reengagement_unfillable", template=spec.name, needs=spec.parameters)
        return None
    episode = contact_fields.get("window_from") or "never"
    return OutboundMessage(
        id=f"reengage:{contact}:{episode}",
        to=contact,
        template=Template(
            name=spec.name, language=language, parameters=[known[p] for p in spec.parameters]
        ),
        origin="system",
    )


async def dead_letter(
    redis: Redis,
    *,
    keys: Keys,
    message: OutboundMessage,
    status: int,
    code: int | None,
    error: str,
) -> None:
    """Mark the message dead and list it in the dead-letter stream."""
    log.error("outbound.dead_letter", message_id=message.id, code=code, status=status)
    metrics.DEAD_LETTERED.inc()
    now = datetime.now(tz=UTC).isoformat()
    pipe = redis.pipeline(transaction=True)
    pipe.hset(
        keys.outbound_message(message.id),
        mapping={"status": "dead", "dead_at": now, "error": error[:500]},
    )
    pipe.xadd(
        keys.dead_letters(),
        {
            "id": message.id,
            "to": message.to,
            "code": str(code or ""),
            "status": str(status),
            "error": error[:500],
            "at": now,
        },
        maxlen=100_000,
        approximate=True,
    )
    pipe.xadd(keys.transcript(message.to), _note_fields(message, "dead", error[:200]))
    await pipe.execute()


async def list_dead_letters(redis: Redis, *, keys: Keys, count: int = 100) -> list[DeadLetter]:
    """The newest dead letters first, with the text of each message when still stored."""
    entries = replies.entries(await redis.xrevrange(keys.dead_letters(), count=count))
    pipe = redis.pipeline(transaction=False)
    for _, fields in entries:
        pipe.hget(keys.outbound_message(fields.get("id", "")), "message")
    stored = await pipe.execute()
    letters = []
    for (entry_id, fields), raw in zip(entries, stored, strict=True):
        text = None
        if raw:
            message = OutboundMessage.model_validate_json(raw)
            text = message.text or (message.template.name if message.template else None)
        letters.append(
            DeadLetter(
                entry_id=entry_id,
                message_id=fields.get("id", ""),
                to=fields.get("to", ""),
                code=fields.get("code", ""),
                status=fields.get("status", ""),
                error=fields.get("error", ""),
                at=fields.get("at"),
                text=text,
            )
        )
    return letters


async def retry_dead(
    redis: Redis, *, keys: Keys, shards: int, message_ids: list[str] | None = None
) -> list[str]:
    """Requeue dead letters (all, or the given message ids); returns the ids requeued."""
    entries = replies.entries(await redis.xrange(keys.dead_letters()))
    requeued: list[str] = []
    for entry_id, fields in entries:
        message_id = fields.get("id", "")
        if message_ids is not None and message_id not in message_ids:
            continue
        key = keys.outbound_message(message_id)
        raw = replies.text_or_none(await redis.hget(key, "message"))
        if raw is None:  # expired: nothing left to resend
            await redis.xdel(keys.dead_letters(), entry_id)
            continue
        message = OutboundMessage.model_validate_json(raw)
        pipe = redis.pipeline(transaction=True)
        pipe.hset(key, mapping={"status": "queued", "attempts": "0"})
        pipe.hdel(key, "inflight", "inflight_at", *STATUS_STAMPS)
        pipe.hincrby(key, "retried", 1)
        pipe.xadd(
            keys.outbound_stream(shard_of(message.to, shards)), {"id": message_id, "to": message.to}
        )
        pipe.xdel(keys.dead_letters(), entry_id)
        await pipe.execute()
        requeued.append(message_id)
    return requeued


def _note_fields(message: OutboundMessage, status: str, detail: str = "") -> replies.Fields:
    """A transcript entry recording what happened to an outbound message."""
    return {
        "role": "status",
        "message_id": message.id,
        "status": status,
        "detail": detail,
        "ts": datetime.now(tz=UTC).isoformat(),
    }


class Sender:
    """Drains outbound entries: policy, rate limits, retries with backoff, dead letters."""

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
        templates: TemplateCatalog | None = None,
        ttl_s: int = 14 * 24 * 3600,
        inflight_grace_s: float = 15.0,
        defer_after_s: float | None = None,
        pseudonym_key: bytes = b"",
        pair_burst: int = 45,
        pair_rate_per_s: float = 1 / 6,
    ) -> None:
        self._redis = redis
        self._client = client
        self._keys = keys
        self._phone_number_id = phone_number_id
        self._rate = rate_per_s
        self._max_attempts = max_attempts
        self._base = backoff_base_s
        self._max = backoff_max_s
        self._templates = templates or cached_catalog()
        self._ttl_s = ttl_s
        self._inflight_grace_s = inflight_grace_s
        self._defer_after_s = defer_after_s
        self._pseudonym_key = pseudonym_key
        # A margin under Meta's pair limit: Meta counts when a message arrives, we count when we
        # send it, and a few milliseconds of jitter between the two would otherwise cost a
        # 131056 and a retry exactly when the bucket runs dry.
        self._pair_burst = max(1, pair_burst - 1)
        self._pair_rate = pair_rate_per_s * PAIR_RATE_MARGIN

    async def handle(self, fields: dict[str, str]) -> None:
        """Deliver one queued message exactly once (skip it when already handled)."""
        key = self._keys.outbound_message(fields["id"])
        contact: dict[str, str] | None = None
        if "to" in fields:  # one round trip for the message and its contact
            pipe = self._redis.pipeline(transaction=False)
            pipe.hgetall(key)
            pipe.hgetall(self._keys.contact(fields["to"]))
            found = await pipe.execute()
            stored, contact = replies.text_dict(found[0]), replies.text_dict(found[1])
        else:
            stored = replies.text_dict(await self._redis.hgetall(key))
        if not stored or stored.get("status") in DONE:
            return
        message = OutboundMessage.model_validate_json(stored["message"])
        with conversation_context(message.to, self._pseudonym_key):
            await self._process(message, key, stored, contact)

    async def _process(
        self,
        message: OutboundMessage,
        key: str,
        stored: dict[str, str],
        contact: dict[str, str] | None = None,
    ) -> None:
        if contact is None:
            contact = replies.text_dict(await self._redis.hgetall(self._keys.contact(message.to)))
        verdict = judge(
            contact_fields=contact,
            now=datetime.now(tz=UTC),
            has_template=message.template is not None,
            origin=message.origin,
            in_reply_to=message.in_reply_to,
        )
        if verdict == Verdict.SUPPRESS:
            await self._suppress(message, key, "opted_out")
        elif verdict == Verdict.HOLD:
            await self._hold(message, contact)
        else:
            await self._send_parts(message, key, stored, contact.get("language") or "it")

    async def _send_parts(
        self, message: OutboundMessage, key: str, stored: dict[str, str], language: str
    ) -> None:
        sent_parts = int(stored.get("parts_sent", "0"))
        for index, payload in enumerate(payloads_for(message, language)):
            if index < sent_parts:
                continue
            accepted = None
            if stored.get("inflight") == str(index):  # a sender died sending this part
                accepted = await self._accepted_before_crash(key, index, stored)
            if accepted is not None:
                await self._record_sent(message, key, accepted, index)
                continue
            result = await self._deliver(message, payload, key, index)
            if isinstance(result, WhatsAppError):
                await self._on_failure(message, key, result)
                return
            await self._record_sent(message, key, result, index)
        await self._redis.eval(_MARK_SENT, 1, key, datetime.now(tz=UTC).isoformat())  # type: ignore[misc]

    async def _accepted_before_crash(
        self, key: str, index: int, stored: dict[str, str]
    ) -> str | None:
        """The wamid of a part a crashed sender may have sent, once its status proves it.

        A sender that died between the Cloud API's answer and recording it leaves ``inflight``
        on the message. Meta's status webhook for that part (tagged with our message id and part
        in ``biz_opaque_callback_data``) records ``acked:<part>``; we wait for it up to
        ``inflight_grace_s`` after the attempt before sending again, so a crash does not
        become a duplicate unless Meta stays silent that long.
        """
        deadline = float(stored.get("inflight_at") or 0) + self._inflight_grace_s
        while True:
            acked = replies.text_or_none(await self._redis.hget(key, f"acked:{index}"))
            if acked is not None or time.time() >= deadline:
                return acked
            await asyncio.sleep(0.1)

    async def _deliver(
        self, message: OutboundMessage, payload: dict[str, Any], key: str, index: int
    ) -> str | WhatsAppError:
        """The wamid of the sent payload, or the error that ends the attempts."""
        attempt = 0
        while True:
            attempt += 1
            await self._wait_for_pace(message.to)
            await self._take_tokens(message.to)
            await self._redis.hset(key, mapping={"inflight": index, "inflight_at": time.time()})
            try:
                return await self._client.send(payload)
            except WhatsAppError as error:
                await self._count_attempt(key, error)
                if not error.is_retryable or attempt >= self._max_attempts:
                    return error
                delay = self._backoff(attempt, error)
                if error.code == PAIR_RATE_LIMIT:
                    await self._redis.set(self._keys.pace(message.to), "1", px=int(delay * 1000))
                log.info("outbound.retry", message_id=message.id, code=error.code, delay=delay)
                await asyncio.sleep(delay)
                if error.status == 0:  # timed out: Meta may have taken it after all
                    stored = replies.text_dict(await self._redis.hgetall(key))
                    acked = await self._accepted_before_crash(key, index, stored)
                    if acked is not None:
                        return acked

    async def _count_attempt(self, key: str, error: WhatsAppError) -> None:
        """Count a failed attempt; an answered one is no longer in flight."""
        pipe = self._redis.pipeline(transaction=False)
        pipe.hincrby(key, "attempts", 1)
        if error.status != 0:  # Meta answered: the part was certainly not accepted
            pipe.hdel(key, "inflight", "inflight_at")
        await pipe.execute()

    async def _on_failure(self, message: OutboundMessage, key: str, error: WhatsAppError) -> None:
        if error.needs_template:
            contact = replies.text_dict(await self._redis.hgetall(self._keys.contact(message.to)))
            await self._hold(message, contact)
        elif error.code == MARKETING_OPT_OUT:
            await record_consent(
                self._redis,
                keys=self._keys,
                contact=message.to,
                state=ConsentState.OPTED_OUT,
                at=datetime.now(tz=UTC),
                source="meta_error_131050",
            )
            await self._suppress(message, key, "opted_out (131050)")
        else:
            await dead_letter(
                self._redis,
                keys=self._keys,
                message=message,
                status=error.status,
                code=error.code,
                error=error.message,
            )

    def _backoff(self, attempt: int, error: WhatsAppError) -> float:
        base = self._base * (4 if error.code == PAIR_RATE_LIMIT else 1)
        delay = min(self._max, base * 2 ** (attempt - 1))
        return delay * (0.5 + random.random() / 2)  # noqa: S311 - jitter, not crypto

    async def _wait_for_pace(self, contact: str) -> None:
        """Honour a per-contact pause set after 131056 (also by another sender process)."""
        wait_ms = await self._redis.pttl(self._keys.pace(contact))
        if wait_ms > 0:
            await self._pause(contact, wait_ms / 1000)

    async def _take_tokens(self, contact: str) -> None:
        """Wait for the contact's pair-rate token and the number's throughput token."""
        buckets = [
            (self._keys.pair_bucket(contact), self._pair_burst, self._pair_rate),
            (self._keys.rate_bucket(self._phone_number_id), self._rate, self._rate),
        ]
        while True:
            wait_ms = await take_tokens(self._redis, buckets)
            if wait_ms <= 0:
                return
            await self._pause(contact, wait_ms / 1000)

    async def _pause(self, contact: str, wait_s: float) -> None:
        """Wait for a per-contact limit, or give the shard to the other contacts meanwhile.

        A contact paced for longer than ``defer_after_s`` (a flood past Meta's pair limit)
        would hold every other contact of its outbound shard: the worker sets its messages
        aside, in order, and comes back to them when the wait is over (:class:`Deferred`).
        """
        if self._defer_after_s is not None and wait_s > self._defer_after_s:
            raise Deferred(contact, wait_s)
        await asyncio.sleep(wait_s)

    async def _suppress(self, message: OutboundMessage, key: str, reason: str) -> None:
        log.info("outbound.suppressed", message_id=message.id, reason=reason)
        pipe = self._redis.pipeline(transaction=True)
        pipe.hset(key, mapping={"status": "suppressed", "error": reason})
        pipe.xadd(self._keys.transcript(message.to), _note_fields(message, "suppressed", reason))
        await pipe.execute()

    async def _hold(self, message: OutboundMessage, contact: dict[str, str]) -> None:
        """Park a free-form message outside the window and invite the customer back."""
        log.info("outbound.held", message_id=message.id, reason="24h window closed")
        await hold(
            self._redis,
            keys=self._keys,
            message_id=message.id,
            contact=message.to,
            ttl_s=self._ttl_s,
        )
        await self._redis.xadd(
            self._keys.transcript(message.to), _note_fields(message, "awaiting_window")
        )
        template = reengagement_message(self._templates, contact=message.to, contact_fields=contact)
        if template is None or is_opted_out(contact):
            return
        if await create_unqueued(self._redis, keys=self._keys, message=template, ttl_s=self._ttl_s):
            await self._process(template, self._keys.outbound_message(template.id), {})

    async def _record_sent(
        self, message: OutboundMessage, key: str, wamid: str, index: int
    ) -> None:
        ttl = 30 * 24 * 3600
        pipe = self._redis.pipeline(transaction=True)
        pipe.hset(key, mapping={"parts_sent": index + 1, "wamid": wamid, f"part:{wamid}": index})
        pipe.hdel(key, "inflight", "inflight_at")
        pipe.set(self._keys.wamid_to_message(wamid), message.id, ex=ttl)
        pipe.xadd(self._keys.transcript(message.to), _transcript_fields(message, wamid, index))
        await pipe.execute()
        metrics.observe_sent(message.origin, message.accepted_at if index == 0 else None)


def _transcript_fields(message: OutboundMessage, wamid: str, index: int) -> replies.Fields:
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
