"""Inbound messages: from Meta's envelope to items in the per-shard Redis streams."""

from __future__ import annotations

import json
import zlib
from datetime import UTC, datetime

from pydantic import BaseModel, ConfigDict
from redis.asyncio import Redis

from bot.keys import Keys
from bot.whatsapp.models import Envelope, Message, MessageType, Status

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
    text: str = ""  # what the customer wrote or the title of what they tapped
    payload: str | None = None  # id of a tapped button / list row / template button
    media_id: str | None = None
    media_mime: str | None = None
    reacted_to: str | None = None
    raw: str  # Meta's message JSON, kept for debugging and the console


def shard_of(contact: str, shards: int) -> int:
    """Stable shard of a contact: all its messages go to one stream, in order."""
    return zlib.crc32(contact.encode()) % shards


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
        return message.location.name or message.location.address or "", None
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
        reacted_to=message.reaction.message_id if message.reaction else None,
        raw=message.model_dump_json(by_alias=True, exclude_none=True),
    )


def split_envelope(envelope: Envelope) -> tuple[list[InboundItem], list[Status]]:
    """Return the messages and the statuses carried by one webhook delivery."""
    items: list[InboundItem] = []
    statuses: list[Status] = []
    for entry in envelope.entry:
        for change in entry.changes:
            names = {c.wa_id: c.profile.name for c in change.value.contacts}
            for message in change.value.messages:
                items.append(item_from_message(message, names.get(message.from_)))
            statuses.extend(change.value.statuses)
    return items, statuses


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
    return bool(added)


def now_utc() -> datetime:
    """The current time, timezone-aware."""
    return datetime.now(tz=UTC)


def parse_item(fields: dict[str, str]) -> InboundItem:
    """Read an item back from its stream entry."""
    return InboundItem.model_validate(json.loads(fields["item"]))
