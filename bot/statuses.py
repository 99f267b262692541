"""Delivery statuses (sent, delivered, read, failed) applied to our outbound messages.

A status moves the message's status forward only (Meta's webhooks arrive in any order) and is
appended to the contact's transcript. A ``failed`` status is acted on:

* 131047 (the 24-hour window had closed): the failed part and the rest are held until the
  customer writes again, and the re-engagement template is queued — the same path as when the
  sender knows the window is closed before sending;
* 131050 (the customer stopped marketing messages): the contact is marked opted out;
* anything else: the message goes to the dead-letter stream, where staff see it and can retry.
"""

from __future__ import annotations

import structlog
from redis.asyncio import Redis

from bot import outbound
from bot.keys import Keys
from bot.whatsapp.consent import ConsentState, record_consent
from bot.whatsapp.models import Status, StatusKind
from bot.whatsapp.redis_replies import text_dict, text_or_none
from bot.whatsapp.templates import TemplateCatalog, cached_catalog

log = structlog.get_logger(__name__)

RE_ENGAGEMENT = 131047

# Log each status once in the transcript; move the message's status forward only.
# Returns 2 when the status became the message's status, 1 when only logged, 0 when repeated.
_APPLY = """
local rank = {queued=0, awaiting_window=0, sent=1, delivered=2, read=3, failed=4, dead=4,
              suppressed=4}
local current = redis.call('HGET', KEYS[1], 'status')
if not current then return -1 end
if redis.call('HEXISTS', KEYS[1], ARGV[1] .. '_at') == 1 then return 0 end
redis.call('HSET', KEYS[1], ARGV[1] .. '_at', ARGV[2])
redis.call('XADD', KEYS[2], '*', 'role', 'status', 'wamid', ARGV[4], 'message_id', ARGV[5],
           'status', ARGV[1], 'detail', ARGV[3], 'ts', ARGV[2])
if (rank[ARGV[1]] or 0) <= (rank[current] or 0) then return 1 end
redis.call('HSET', KEYS[1], 'status', ARGV[1])
if ARGV[3] ~= '' then redis.call('HSET', KEYS[1], 'error', ARGV[3]) end
return 2
"""

# A part failed after Meta accepted it: a retry resends from that part.
_RESEND_FROM_PART = """
local part = redis.call('HGET', KEYS[1], 'part:' .. ARGV[1])
if not part then return 0 end
local sent = tonumber(redis.call('HGET', KEYS[1], 'parts_sent') or '0')
redis.call('HSET', KEYS[1], 'parts_sent', math.min(tonumber(part), sent))
return 1
"""

# A part failed for the closed window: resend from that part once the window reopens.
_HOLD_FROM_PART = """
if not redis.call('HGET', KEYS[1], 'message') then return -1 end
local part = tonumber(redis.call('HGET', KEYS[1], 'part:' .. ARGV[2]) or '0')
local sent = tonumber(redis.call('HGET', KEYS[1], 'parts_sent') or '0')
redis.call('HSET', KEYS[1], 'parts_sent', math.min(part, sent), 'status', 'awaiting_window',
           'error', ARGV[3])
redis.call('LREM', KEYS[2], 0, ARGV[1])
redis.call('RPUSH', KEYS[2], ARGV[1])
return 1
"""


# The wamid was never recorded (the sender died after Meta accepted the part): remember it.
_ADOPT = """
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'acked:' .. ARGV[1], ARGV[2], 'part:' .. ARGV[2], ARGV[1])
redis.call('SET', KEYS[2], ARGV[3], 'EX', ARGV[4])
return 1
"""


async def message_statuses(redis: Redis, keys: Keys, message_ids: list[str]) -> dict[str, str]:
    """The current status of each outbound message (``queued`` when none is recorded yet)."""
    pipe = redis.pipeline(transaction=False)
    for message_id in message_ids:
        pipe.hget(keys.outbound_message(message_id), "status")
    found = await pipe.execute() if message_ids else []
    return {m: text_or_none(s) or "queued" for m, s in zip(message_ids, found, strict=True)}


async def _message_id(redis: Redis, keys: Keys, status: Status) -> str | None:
    """Our message id: from the wamid we recorded, else from the echoed callback data."""
    found = text_or_none(await redis.get(keys.wamid_to_message(status.id)))
    if found is not None or not status.biz_opaque_callback_data:
        return found
    tagged = outbound.parse_callback_tag(status.biz_opaque_callback_data)
    if tagged is None:
        return None
    message_id, part = tagged
    adopted = await redis.eval(  # type: ignore[misc]
        _ADOPT,
        2,
        keys.outbound_message(message_id),
        keys.wamid_to_message(status.id),
        part,
        status.id,
        message_id,
        30 * 24 * 3600,
    )
    return message_id if int(adopted) == 1 else None


async def _recipient(redis: Redis, keys: Keys, message_id: str) -> str:
    raw = await redis.hget(keys.outbound_message(message_id), "message")
    return outbound.OutboundMessage.model_validate_json(raw).to if raw else "unknown"


async def apply_status(
    redis: Redis,
    *,
    keys: Keys,
    status: Status,
    shards: int | None = None,
    ttl_s: int = 14 * 24 * 3600,
    templates: TemplateCatalog | None = None,
) -> None:
    """Record one status; act on failures (hold, opt-out, dead letter)."""
    if status.status == StatusKind.UNKNOWN:
        return
    message_id = await _message_id(redis, keys, status)
    if message_id is None:
        log.info("status.unknown_message", wamid=status.id, status=status.status.value)
        return
    if status.status == StatusKind.FAILED and RE_ENGAGEMENT in status.error_codes:
        await _hold_for_window(redis, keys, status, message_id, shards, ttl_s, templates)
        return
    error = "; ".join(e.describe() for e in status.errors or [])
    contact = status.recipient_id or await _recipient(redis, keys, message_id)
    changed = await redis.eval(  # type: ignore[misc]
        _APPLY,
        2,
        keys.outbound_message(message_id),
        keys.transcript(contact),
        status.status.value,
        status.at.isoformat(),
        error,
        status.id,
        message_id,
    )
    if int(changed) == 2 and status.status == StatusKind.FAILED:
        await _on_failed(redis, keys, status, message_id, error)


async def _on_failed(redis: Redis, keys: Keys, status: Status, message_id: str, error: str) -> None:
    raw = await redis.hget(keys.outbound_message(message_id), "message")
    if raw is None:
        return
    message = outbound.OutboundMessage.model_validate_json(raw)
    if outbound.MARKETING_OPT_OUT in status.error_codes:
        await record_consent(
            redis,
            keys=keys,
            contact=message.to,
            state=ConsentState.OPTED_OUT,
            at=status.at,
            source="meta_error_131050",
        )
        return
    await redis.eval(  # type: ignore[misc]
        _RESEND_FROM_PART, 1, keys.outbound_message(message_id), status.id
    )
    code = status.error_codes[0] if status.error_codes else None
    await redis.xadd(
        keys.dead_letters(),
        {
            "id": message.id,
            "to": message.to,
            "code": str(code or ""),
            "status": "failed",
            "error": error[:500],
            "at": status.at.isoformat(),
        },
        maxlen=100_000,
        approximate=True,
    )


async def _hold_for_window(
    redis: Redis,
    keys: Keys,
    status: Status,
    message_id: str,
    shards: int | None,
    ttl_s: int,
    templates: TemplateCatalog | None,
) -> None:
    key = keys.outbound_message(message_id)
    raw = await redis.hget(key, "message")
    if raw is None:
        return
    message = outbound.OutboundMessage.model_validate_json(raw)
    await redis.eval(  # type: ignore[misc]
        _HOLD_FROM_PART, 2, key, keys.held(message.to), message_id, status.id, "131047"
    )
    log.info("status.held_for_window", message_id=message_id)
    if shards is None:
        return
    contact = text_dict(await redis.hgetall(keys.contact(message.to)))
    template = outbound.reengagement_message(
        templates or cached_catalog(), contact=message.to, contact_fields=contact
    )
    if template is not None:
        await outbound.enqueue(redis, keys=keys, message=template, shards=shards, ttl_s=ttl_s)
