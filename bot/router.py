"""The bot-or-human router: every inbound message goes to its ticket or to Rasa, never both."""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass
from datetime import UTC, datetime

import structlog
from redis.asyncio import Redis

from bot import outbound
from bot.clients.actions import ActionServerClient
from bot.clients.handoff import HandoffClient
from bot.clients.rasa import RasaClient, RasaReply, RasaUnavailableError
from bot.config import Settings
from bot.inbound import InboundItem, shard_of
from bot.keys import Keys
from bot.language import detect_language
from bot.privacy import conversation_context
from bot.replies import canned_reply
from bot.whatsapp.models import MessageType
from bot.whatsapp.redis_replies import Fields
from bot.whatsapp.redis_replies import entries as stream_entries
from bot.worker import ENTRY_ID_FIELD

log = structlog.get_logger(__name__)

# Types whose text (or tapped payload) means something to Rasa.
CONVERSATIONAL = {MessageType.TEXT, MessageType.INTERACTIVE, MessageType.BUTTON}
MEDIA = {
    MessageType.IMAGE,
    MessageType.DOCUMENT,
    MessageType.AUDIO,
    MessageType.VIDEO,
    MessageType.STICKER,
}
# Types the hub acknowledges itself, with the canned reply of that kind.
ACKNOWLEDGED = {
    **{kind: "media" for kind in MEDIA},
    MessageType.LOCATION: "location",
    MessageType.CONTACTS: "contacts",
}
# Types that never get a reply (they are recorded, and shown to the agent during a handoff).
SILENT = {MessageType.REACTION, MessageType.SYSTEM}
WELCOME_PAYLOAD = "/greet"  # the customer opened the chat for the first time
NEEDS_RASA = CONVERSATIONAL | {MessageType.REQUEST_WELCOME}
WAIT_NOTICE_INDEX = 99  # "one moment, please" is reply ``<wamid>:99`` of the message that waits
QUEUED_SCAN = 200  # entries behind a stuck message looked at for contacts who wait too


def describe(item: InboundItem) -> str:
    """What the agent reads for a customer message of any type."""
    if item.type in MEDIA:
        label = " ".join(p for p in (item.media_filename, item.text) if p)
        return f"[{item.type.value}] {label}".strip()
    if item.type == MessageType.REACTION:
        return f"[reaction] {item.text or '(removed)'}"
    if item.type in (MessageType.UNSUPPORTED, MessageType.UNKNOWN, MessageType.ORDER):
        return f"[{item.type.value}]"
    return item.text


def rasa_text(item: InboundItem) -> str:
    """The message Rasa gets: a tapped ``/intent`` payload as is, else what the customer saw."""
    if item.type == MessageType.REQUEST_WELCOME:
        return WELCOME_PAYLOAD
    if item.payload and item.payload.startswith("/"):
        return item.payload
    return item.text


@dataclass(slots=True)
class Router:
    """Processes one inbound item: transcript, gate, Rasa or ticket, replies queued once."""

    redis: Redis
    keys: Keys
    settings: Settings
    rasa: RasaClient
    handoff: HandoffClient
    actions: ActionServerClient | None = None

    async def handle(self, fields: dict[str, str]) -> None:
        """Worker entry point: idempotent per inbound ``wamid``."""
        item = InboundItem.model_validate_json(fields["item"])
        with conversation_context(item.contact, self.settings.pseudonym_key):
            await self._handle(item, accepted_at(fields), fields.get(ENTRY_ID_FIELD))

    async def _handle(
        self, item: InboundItem, accepted: datetime | None, entry_id: str | None = None
    ) -> None:
        pipe = self.redis.pipeline(transaction=False)
        pipe.exists(self.keys.done(item.wamid))
        pipe.hmget(self.keys.contact(item.contact), ["language", "window_from"])
        pipe.get(self.keys.bot_replies(item.wamid))
        done, (current, window), stored = await pipe.execute()
        if done:
            return
        language = await self._remember_contact(item, current, window)
        replies = [
            reply.model_copy(update={"accepted_at": accepted})
            for reply in await self._route(item, language, stored, entry_id)
        ]
        pipe = self.redis.pipeline(transaction=False)
        for message in replies:  # idempotent per reply id, then the message is done
            outbound.enqueue_in(
                pipe,
                keys=self.keys,
                message=message,
                shards=self.settings.outbound_shards,
                ttl_s=self.settings.dedupe_ttl_s,
            )
        pipe.set(self.keys.done(item.wamid), "1", ex=self.settings.dedupe_ttl_s)
        await pipe.execute()
        log.info("message.routed", type=item.type.value, replies=len(replies))

    async def _route(
        self, item: InboundItem, language: str, stored: str | None, entry_id: str | None
    ) -> list[outbound.OutboundMessage]:
        gate = await self.handoff.gate(item.contact)
        if gate.mode == "human":
            forwarded = await self.handoff.forward(
                contact=item.contact,
                text=describe(item),
                kind=item.type.value,
                wamid=item.wamid,
                sent_at=item.sent_at,
                media_id=item.media_id,
            )
            if forwarded:
                return []
        if item.type in SILENT:
            return []
        if item.type in ACKNOWLEDGED:
            return [self._message(item, 0, canned_reply(ACKNOWLEDGED[item.type], language))]
        if item.type not in NEEDS_RASA:
            return [self._message(item, 0, canned_reply("unsupported", language))]
        replies = await self._ask_rasa(item, language, stored, entry_id)
        return [
            self._message(item, index, reply.text or "", reply)
            for index, reply in enumerate(replies)
            if reply.text or reply.buttons
        ]

    async def _ask_rasa(
        self, item: InboundItem, language: str, stored: str | None, entry_id: str | None
    ) -> list[RasaReply]:
        """Rasa's replies, asked once per wamid (kept in Redis), waiting while Rasa is down."""
        if stored is not None:
            return [RasaReply.model_validate(r) for r in json.loads(stored)]
        text = rasa_text(item)[: self.settings.max_text_chars]
        metadata = {
            "language": language,
            "now": item.sent_at.isoformat(),
            "wamid": item.wamid,
            "contact_name": item.profile_name,
        }
        replies = await self._send_with_patience(item, language, text, metadata, entry_id)
        if not any(r.text or r.buttons for r in replies) and await self._actions_down():
            replies = [RasaReply(text=canned_reply("actions_down", language))]
        await self.redis.set(
            self.keys.bot_replies(item.wamid),
            json.dumps([r.model_dump() for r in replies]),
            ex=self.settings.dedupe_ttl_s,
        )
        return replies

    async def _actions_down(self) -> bool:
        """True when the action server does not answer.

        Rasa runs the turn anyway and drops the failed custom action's replies (FAQ answers,
        form questions, handoff), so the customer would get silence; the hub says so instead.
        """
        if self.actions is None or await self.actions.is_ready():
            return False
        log.warning("router.actions_unavailable")
        return True

    async def _send_with_patience(
        self,
        item: InboundItem,
        language: str,
        text: str,
        metadata: dict[str, str | None],
        entry_id: str | None = None,
    ) -> list[RasaReply]:
        started = time.monotonic()
        delay = 0.5
        while True:
            try:
                return await self.rasa.send(sender=item.contact, text=text, metadata=metadata)
            except RasaUnavailableError as exc:
                log.warning("router.rasa_unavailable", error=str(exc))
                if time.monotonic() - started > self.settings.wait_notice_after_s:
                    await self._notify_wait_once([(item, language)])
                if entry_id is not None:
                    await self._notify_queued_behind(item, entry_id)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)

    async def _notify_queued_behind(self, item: InboundItem, entry_id: str) -> None:
        """Rasa is unreachable: the contacts queued behind this message on its shard wait too.

        Each of them whose own message was accepted more than ``wait_notice_after_s`` ago gets
        the same single notice, instead of silence until the message ahead of it is answered.
        """
        stream = self.keys.inbound_stream(shard_of(item.contact, self.settings.inbound_shards))
        oldest_ms = (time.time() - self.settings.wait_notice_after_s) * 1000
        reply = await self.redis.xrange(stream, min=f"({entry_id}", max="+", count=QUEUED_SCAN)
        waiting: dict[str, InboundItem] = {}
        for queued_id, fields in stream_entries(reply):
            if int(queued_id.partition("-")[0]) > oldest_ms:
                break  # newer entries have not waited long enough yet
            queued = InboundItem.model_validate_json(fields["item"])
            if queued.contact != item.contact and queued.type in NEEDS_RASA:
                waiting.setdefault(queued.contact, queued)
        if not waiting:
            return
        pipe = self.redis.pipeline(transaction=False)
        for contact in waiting:
            pipe.hget(self.keys.contact(contact), "language")
        known = await pipe.execute()
        await self._notify_wait_once(
            [
                (queued, self._language_of(queued, current))
                for queued, current in zip(waiting.values(), known, strict=True)
            ]
        )

    async def _notify_wait_once(self, waiting: list[tuple[InboundItem, str]]) -> None:
        """One "one moment, please" per contact (per 10 minutes), as a reply to its message."""
        pipe = self.redis.pipeline(transaction=False)
        for item, _ in waiting:
            pipe.set(self.keys.wait_notice(item.contact), "1", nx=True, ex=600)
        firsts = await pipe.execute()
        for (item, language), first in zip(waiting, firsts, strict=True):
            if not first:
                continue
            notice = self._message(
                item, WAIT_NOTICE_INDEX, canned_reply("wait", language), origin="system"
            )
            await outbound.enqueue(
                self.redis,
                keys=self.keys,
                message=notice,
                shards=self.settings.outbound_shards,
                ttl_s=self.settings.dedupe_ttl_s,
            )

    def _message(
        self,
        item: InboundItem,
        index: int,
        text: str,
        reply: RasaReply | None = None,
        origin: str = "bot",
    ) -> outbound.OutboundMessage:
        buttons = (
            [outbound.Button(title=b.title, payload=b.payload) for b in reply.buttons]
            if (reply)
            else []
        )
        return outbound.OutboundMessage(
            id=f"{item.wamid}:{index}",
            to=item.contact,
            text=text,
            buttons=buttons,
            origin="system" if origin == "system" else "bot",
            in_reply_to=item.wamid,
        )

    async def _remember_contact(
        self, item: InboundItem, current: str | None, window: str | None
    ) -> str:
        """Update the contact (name, language, 24-hour window) and return its language."""
        key = self.keys.contact(item.contact)
        language = self._language_of(item, current)
        mapping: Fields = {"language": language}
        if item.type != MessageType.SYSTEM:
            opened = self._window_start(item)
            if window is None or opened > window:  # a late retry never moves it back
                mapping["window_from"] = opened
                mapping["last_inbound_at"] = item.sent_at.isoformat()
        if item.profile_name:
            mapping["name"] = item.profile_name
        pipe = self.redis.pipeline(transaction=True)
        pipe.hset(key, mapping=mapping)
        pipe.sadd(self.keys.contacts(), item.contact)
        pipe.xadd(self.keys.transcript(item.contact), _customer_fields(item))
        if item.type != MessageType.SYSTEM:  # the customer wrote: held replies can go now
            outbound.release_held_in(
                pipe, keys=self.keys, contact=item.contact, shards=self.settings.outbound_shards
            )
        await pipe.execute()
        return language

    def _language_of(self, item: InboundItem, current: str | None) -> str:
        """The language of a customer's message: detected in its text, else the contact's."""
        current = current or self.settings.default_language
        if item.text and item.type in CONVERSATIONAL:
            return detect_language(item.text, default=current)
        return current

    def _window_start(self, item: InboundItem) -> str:
        """The customer's message time; in simulator mode (clock set by scripts) the arrival."""
        if self.settings.simulator_mode:
            return datetime.now(tz=UTC).isoformat()
        return item.sent_at.isoformat()


def accepted_at(fields: dict[str, str]) -> datetime | None:
    """When the webhook accepted the message: the time part of its stream entry id."""
    entry_id = fields.get(ENTRY_ID_FIELD, "")
    millis = entry_id.partition("-")[0]
    return datetime.fromtimestamp(int(millis) / 1000, tz=UTC) if millis.isdigit() else None


def _customer_fields(item: InboundItem) -> Fields:
    """The transcript entry of a customer message."""
    return {
        "role": "customer",
        "type": item.type.value,
        "text": item.text,
        "payload": item.payload or "",
        "media_id": item.media_id or "",
        "reacted_to": item.reacted_to or "",
        "wamid": item.wamid,
        "ts": item.sent_at.isoformat(),
        "received_at": datetime.now(tz=UTC).isoformat(),
    }
