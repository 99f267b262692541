"""Inbound messages: from Meta's envelope to items in the per-shard Redis streams."""

from __future__ import annotations

import json
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime

from pydantic import BaseModel, ConfigDict, Field
from redis.asyncio import Redis

from bot.keys import Keys
from bot.metrics import MESSAGES_IN
from bot.whatsapp.models import (
    Envelope,
    Message,
    MessageType,
    Status,
    UserPreference,
    WaError,
)

# Append the item only if its wamid was never seen: one round trip, atomic.
_ENQUEUE_IF_NEW = """
if redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[1]) then
  redis.call('XADD', KEYS[2], '*', 'item', ARGV[2])
  return 1
end
return 0
"""


class InboundItem(BaseModel):
    """One customer message as the workers see it (our own shape, built from Meta's)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    wamid: str
    contact: str  # WhatsApp id: digits, no "+"
    profile_name: str | None = None
    sent_at: datetime
    type: MessageType
    text: str = ""  # what the customer wrote, tapped, or a one-line description (location...)
    payload: str | None = None  # id of a tapped button / list row / template button
    media_id: str | None = None
    media_mime: str | None = None
    media_filename: str | None = None
    reacted_to: str | None = None
    context_wamid: str | None = None  # the business message this one answers or quotes
    error_codes: list[int] = Field(default_factory=list)
    raw: str  # Meta's message JSON, kept for debugging and the console


@dataclass(slots=True)
class Delivery:
    """Everything one webhook POST carries, split by kind."""

    items: list[InboundItem] = field(default_factory=list)
    statuses: list[Status] = field(default_factory=list)
    preferences: list[UserPreference] = field(default_factory=list)
    errors: list[WaError] = field(default_factory=list)


def shard_of(contact: str, shards: int) -> int:
    """Stable shard of a contact: all its messages go to one stream, in order."""
    return zlib.crc32(contact.encode()) % shards


def _describe_location(message: Message) -> str:
    place = message.location
    assert place is not None
    label = " — ".join(p for p in (place.name, place.address) if p)
    where = f"{place.latitude:.6f}, {place.longitude:.6f}"
    return f"📍 {label} ({where})" if label else f"📍 {where}"


def _text_and_payload(message: Message) -> tuple[str, str | None]:
    if message.text is not None:
        return message.text.body, None
    if message.interactive is not None and message.interactive.reply is not None:
        return message.interactive.reply.title, message.interactive.reply.id
    if message.button is not None:
        return message.button.text, message.button.payload
    if message.media is not None:
        return message.media.caption or "", None
    if message.location is not None:
        return _describe_location(message), None
    if message.contacts:
        return "; ".join(f"👤 {card.describe()}" for card in message.contacts), None
    if message.reaction is not None:
        return message.reaction.emoji or "", None
    if message.system is not None:
        return message.system.body or "", None
    return "", None


def item_from_message(message: Message, profile_name: str | None) -> InboundItem:
    """Build the worker's item from one of Meta's messages."""
    text, payload = _text_and_payload(message)
    media = message.media
    return InboundItem(
        wamid=message.id,
        contact=message.from_,
        profile_name=profile_name,
        sent_at=message.sent_at,
        type=message.type,
        text=text,
        payload=payload,
        media_id=media.id if media else None,
        media_mime=media.mime_type if media else None,
        media_filename=media.filename if media else None,
        reacted_to=message.reaction.message_id if message.reaction else None,
        context_wamid=message.context.id if message.context else None,
        error_codes=[error.code for error in message.errors or []],
        raw=message.model_dump_json(by_alias=True, exclude_none=True),
    )


def parse_delivery(envelope: Envelope) -> Delivery:
    """Split one webhook delivery into messages, statuses, preferences and errors."""
    delivery = Delivery()
    for entry in envelope.entry:
        for change in entry.changes:
            value = change.value
            names = {c.wa_id: c.profile.name for c in value.contacts}
            for message in value.messages:
                delivery.items.append(item_from_message(message, names.get(message.from_)))
            delivery.statuses.extend(value.statuses)
            delivery.preferences.extend(value.user_preferences)
            delivery.errors.extend(value.errors)
    return delivery


def split_envelope(envelope: Envelope) -> tuple[list[InboundItem], list[Status]]:
    """Return the messages and the statuses carried by one webhook delivery."""
    delivery = parse_delivery(envelope)
    return delivery.items, delivery.statuses


async def enqueue(
    redis: Redis, *, keys: Keys, item: InboundItem, shards: int, dedupe_ttl_s: int
) -> bool:
    """Append the item to its shard's stream unless its wamid was already accepted."""
    stream = keys.inbound_stream(shard_of(item.contact, shards))
    added = await redis.eval(  # type: ignore[misc]
        _ENQUEUE_IF_NEW,
        2,
        keys.seen(item.wamid),
        stream,
        str(dedupe_ttl_s),
        item.model_dump_json(),
    )
    if added:
        MESSAGES_IN.labels(type=item.type.value).inc()
    return bool(added)


async def enqueue_all(
    redis: Redis, *, keys: Keys, items: list[InboundItem], shards: int, dedupe_ttl_s: int
) -> int:
    """Enqueue several items in one round trip (a pipeline of the atomic script)."""
    if len(items) == 1:
        return int(
            await enqueue(redis, keys=keys, item=items[0], shards=shards, dedupe_ttl_s=dedupe_ttl_s)
        )
    pipe = redis.pipeline(transaction=False)
    for item in items:
        stream = keys.inbound_stream(shard_of(item.contact, shards))
        pipe.eval(
            _ENQUEUE_IF_NEW,
            2,
            keys.seen(item.wamid),
            stream,
            str(dedupe_ttl_s),
            item.model_dump_json(),
        )
    results = await pipe.execute()
    for item, added in zip(items, results, strict=True):
        if added:
            MESSAGES_IN.labels(type=item.type.value).inc()
    return sum(int(bool(added)) for added in results)


def now_utc() -> datetime:
    """The current time, timezone-aware."""
    return datetime.now(tz=UTC)


def parse_item(fields: dict[str, str]) -> InboundItem:
    """Read an item back from its stream entry."""
    return InboundItem.model_validate(json.loads(fields["item"]))
