"""GDPR: export and erase every piece of data about one contact, and apply retention.

Where a contact's data lives (all in the hub's Redis database):

* hub keys (``bot/keys.py``): the contact hash, transcript, consent log, held/pace/notice keys,
  outbound message hashes (``msg:*``), Rasa's stored replies, entries of the inbound and
  outbound streams and of the dead letters, the fake Cloud API's lists (simulator);
* the handoff service (``handoff/``, over its service API): tickets with summaries and
  transcripts, their indexes, audit entries and pending outbox jobs;
* Rasa's Redis tracker store and lock store (``rasa:tracker:<wa_id>``, ``rasa:lock:<wa_id>``;
  Rasa keeps no other copy in memory with these stores).

Erasure deletes the known per-contact keys, then sweeps every key under the hub's prefix and
removes whatever still mentions the number (hash or string keys, stream entries, list, set and
sorted-set members), so a key added later cannot silently keep personal data. It leaves one
pseudonymised record (``Keys.gdpr_log``): an HMAC of the number, the time, the actor, counts.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict
from redis.asyncio import Redis

from bot.clients.handoff import HandoffClient
from bot.config import Settings
from bot.inbound import shard_of
from bot.keys import Keys
from bot.privacy import subject_hash, wa_id_of
from bot.whatsapp.redis_replies import entries as stream_entries
from bot.whatsapp.redis_replies import text as reply_text
from bot.whatsapp.redis_replies import text_dict
from facts import LEAD_SLOTS

_BATCH = 200
_STREAM_PAGE = 500
Entry = dict[str, str]


class ContactExport(BaseModel):
    """Every piece of data about one contact, as written by ``wabot gdpr export``."""

    model_config = ConfigDict(extra="forbid")

    contact: str  # WhatsApp id (digits)
    exported_at: datetime
    profile: Entry  # name, language, consent state, 24-hour window
    consent_log: list[Entry]
    transcript: list[Entry]  # customer, bot, agent messages and delivery statuses
    inbound_queue: list[dict[str, Any]]  # messages still in the inbound streams
    outbound_messages: list[dict[str, Any]]  # every message sent or queued, with its status
    lead_facts: dict[str, Any]  # lead slots Rasa filled
    handoff: dict[str, Any]  # tickets (summary, transcript, history) and audit entries
    rasa_tracker: dict[str, Any] | None


class ErasureReport(BaseModel):
    """What an erasure removed; the record kept says the same, without the number."""

    model_config = ConfigDict(extra="forbid")

    subject: str  # salted hash of the contact
    at: datetime
    actor: str
    hub_keys: int
    entries: int  # stream entries and list / set members removed from shared keys
    tickets: int
    audit_entries: int
    rasa_keys: int


class RetentionReport(BaseModel):
    """What one retention run removed."""

    model_config = ConfigDict(extra="forbid")

    cutoff: datetime
    transcript_entries: int
    tickets: int
    audit_entries: int


@dataclass(slots=True)
class ContactData:
    """Finds, exports and erases a contact's data (one public entry point per duty)."""

    redis: Redis
    keys: Keys
    settings: Settings
    handoff: HandoffClient

    async def export(self, phone: str) -> ContactExport:
        """Collect everything about ``phone`` (raises ``InvalidContactError`` for a bad one)."""
        contact = wa_id_of(phone)
        tracker = await self._tracker(contact)
        return ContactExport(
            contact=contact,
            exported_at=datetime.now(tz=UTC),
            profile=text_dict(await self.redis.hgetall(self.keys.contact(contact))),  # type: ignore[misc]
            consent_log=await self._stream(self.keys.consent_log(contact)),
            transcript=await self._stream(self.keys.transcript(contact)),
            inbound_queue=await self._inbound_items(contact),
            outbound_messages=await self._outbound_messages(contact),
            lead_facts=lead_facts(tracker),
            handoff=await self.handoff.export_contact(contact),
            rasa_tracker=tracker,
        )

    async def erase(self, phone: str, actor: str) -> ErasureReport:
        """Remove the contact everywhere and keep a pseudonymised record of the erasure."""
        contact = wa_id_of(phone)
        handoff = await self.handoff.erase_contact(contact, actor)
        rasa = await self.redis.delete(*self._rasa_keys(contact))
        direct = await self.redis.delete(*self._contact_keys(contact))
        swept_keys, entries = await self._sweep(_needle(contact))
        report = ErasureReport(
            subject=subject_hash(contact, self.settings.pseudonym_key),
            at=datetime.now(tz=UTC),
            actor=actor,
            hub_keys=direct + swept_keys,
            entries=entries,
            tickets=int(handoff.get("tickets", 0)),
            audit_entries=int(handoff.get("audit_entries", 0)),
            rasa_keys=rasa,
        )
        await self._record("erase", report.model_dump_json())
        return report

    async def record_export(self, phone: str, actor: str) -> None:
        """Audit an export (who exported whose data, pseudonymised)."""
        subject = subject_hash(wa_id_of(phone), self.settings.pseudonym_key)
        at = datetime.now(tz=UTC).isoformat()
        await self._record("export", json.dumps({"subject": subject, "actor": actor, "at": at}))

    async def _record(self, action: str, record: str) -> None:
        await self.redis.xadd(self.keys.gdpr_log(), {"action": action, "record": record})

    async def apply_retention(self, now: datetime | None = None) -> RetentionReport:
        """Trim transcripts older than the retention period and erase old resolved tickets.

        Rasa trackers expire by themselves (``record_exp`` in ``bot/endpoints.yml``, set from
        the same period by ``bot/stack.py``); outbound message hashes have their own TTL.
        """
        cutoff = (now or datetime.now(tz=UTC)) - timedelta(days=self.settings.retention_days)
        min_id = f"{int(cutoff.timestamp() * 1000)}-0"
        trimmed = 0
        for contact in await self.redis.smembers(self.keys.contacts()):  # type: ignore[misc]
            key = self.keys.transcript(reply_text(contact))
            trimmed += await self.redis.xtrim(key, minid=min_id, approximate=False)
        handoff = await self.handoff.apply_retention(cutoff)
        return RetentionReport(
            cutoff=cutoff,
            transcript_entries=trimmed,
            tickets=int(handoff.get("tickets", 0)),
            audit_entries=int(handoff.get("audit_entries", 0)),
        )

    # --- reads ------------------------------------------------------------------------------

    async def _stream(self, key: str) -> list[Entry]:
        return [
            {"id": entry_id, **fields}
            for entry_id, fields in stream_entries(await self.redis.xrange(key))
        ]

    async def _tracker(self, contact: str) -> dict[str, Any] | None:
        stored = await self.redis.get(self._rasa_keys(contact)[0])
        return json.loads(stored) if stored else None

    async def _inbound_items(self, contact: str) -> list[dict[str, Any]]:
        stream = self.keys.inbound_stream(shard_of(contact, self.settings.inbound_shards))
        found = []
        for entry in await self._stream(stream):
            item = json.loads(entry.get("item", "{}"))
            if item.get("contact") == contact:
                found.append(item)
        return found

    async def _outbound_messages(self, contact: str) -> list[dict[str, Any]]:
        found = []
        async for batch in self._scan(self.keys.outbound_message("*")):
            pipe = self.redis.pipeline(transaction=False)
            for key in batch:
                pipe.hgetall(key)
            for stored in await pipe.execute():
                message = json.loads(stored.get("message") or "{}")
                if message.get("to") == contact:
                    found.append({**stored, "message": message})
        return found

    # --- erasure ----------------------------------------------------------------------------

    def _rasa_keys(self, contact: str) -> list[str]:
        prefix = self.settings.rasa_key_prefix
        return [f"{prefix}tracker:{contact}", f"{prefix}lock:{contact}"]

    def _contact_keys(self, contact: str) -> list[str]:
        keys = self.keys
        return [
            keys.contact(contact),
            keys.transcript(contact),
            keys.consent_log(contact),
            keys.held(contact),
            keys.pace(contact),
            keys.wait_notice(contact),
            keys.fake_sent_to(contact),
            keys.fake_failures_for(contact),
        ]

    async def _scan(self, pattern: str) -> AsyncIterator[list[str]]:
        batch: list[str] = []
        async for key in self.redis.scan_iter(match=pattern, count=1000):
            batch.append(key)
            if len(batch) >= _BATCH:
                yield batch
                batch = []
        if batch:
            yield batch

    async def _sweep(self, needle: re.Pattern[str]) -> tuple[int, int]:
        """Remove what still mentions the contact under the hub's prefix: (keys, entries)."""
        keys_removed = entries_removed = 0
        async for batch in self._scan(f"{self.keys.prefix}*"):
            batch = [key for key in batch if key != self.keys.gdpr_log()]
            kinds = dict(zip(batch, await self._pipelined(batch, "type"), strict=True))
            keys_removed += await self._drop_keys(kinds, needle)
            kept = {key: kind for key, kind in kinds.items() if not needle.search(key)}
            entries_removed += await self._scrub_streams(
                [key for key, kind in kept.items() if kind == "stream"], needle
            )
            for key, kind in kept.items():
                if kind in ("list", "set", "zset"):
                    entries_removed += await self._scrub_collection(key, kind, needle)
        return keys_removed, entries_removed

    async def _scrub_streams(self, streams: list[str], needle: re.Pattern[str]) -> int:
        """Delete the entries naming the contact; first pages of all streams in one trip."""
        pipe: Any = self.redis.pipeline(transaction=False)
        for stream in streams:
            pipe.xrange(stream, count=_STREAM_PAGE)
        removed = 0
        for stream, reply in zip(streams, await pipe.execute(), strict=True):
            page = stream_entries(reply)
            removed += await self._drop_entries(stream, page, needle)
            if len(page) == _STREAM_PAGE:
                removed += await self._scrub_stream(stream, needle, after=page[-1][0])
        return removed

    async def _drop_entries(
        self, stream: str, page: list[tuple[str, dict[str, str]]], needle: re.Pattern[str]
    ) -> int:
        doomed = [
            entry_id
            for entry_id, fields in page
            if needle.search(json.dumps(fields, ensure_ascii=False))
        ]
        return int(await self.redis.xdel(stream, *doomed)) if doomed else 0

    async def _pipelined(self, keys: list[str], command: str) -> list[Any]:
        """One command per key (``type``, ``get``, ``hgetall``) in a single round trip."""
        pipe: Any = self.redis.pipeline(transaction=False)
        for key in keys:
            getattr(pipe, command)(key)
        return list(await pipe.execute())

    async def _drop_keys(self, kinds: dict[str, str], needle: re.Pattern[str]) -> int:
        """Delete keys named after the contact and string / hash keys whose value names it."""
        doomed = [key for key in kinds if needle.search(key)]
        for kind, command in (("string", "get"), ("hash", "hgetall")):
            keys = [key for key, found in kinds.items() if found == kind and key not in doomed]
            values = await self._pipelined(keys, command)
            doomed += [
                key
                for key, value in zip(keys, values, strict=True)
                if needle.search(json.dumps(value, ensure_ascii=False, default=str))
            ]
        return int(await self.redis.delete(*doomed)) if doomed else 0

    async def _scrub_stream(self, key: str, needle: re.Pattern[str], after: str) -> int:
        removed, start = 0, "(" + after
        while True:
            page = stream_entries(await self.redis.xrange(key, min=start, count=_STREAM_PAGE))
            removed += await self._drop_entries(key, page, needle)
            if len(page) < _STREAM_PAGE:
                return removed
            start = "(" + page[-1][0]

    async def _scrub_collection(self, key: str, kind: str, needle: re.Pattern[str]) -> int:
        redis: Any = self.redis
        if kind == "list":
            members = set(await redis.lrange(key, 0, -1))
        elif kind == "set":
            members = await redis.smembers(key)
        else:
            members = set(await redis.zrange(key, 0, -1))
        doomed = [member for member in members if needle.search(member)]
        if not doomed:
            return 0
        if kind == "list":
            return sum([await redis.lrem(key, 0, member) for member in doomed])
        remove = redis.srem if kind == "set" else redis.zrem
        return int(await remove(key, *doomed))


def lead_facts(tracker: dict[str, Any] | None) -> dict[str, Any]:
    """The lead slots the conversation filled (the last ``slot`` event of each wins)."""
    facts: dict[str, Any] = {}
    for event in (tracker or {}).get("events", []):
        if event.get("event") == "slot" and event.get("name") in LEAD_SLOTS:
            facts[event["name"]] = event.get("value")
    return {name: value for name, value in facts.items() if value is not None}


def _needle(contact: str) -> re.Pattern[str]:
    """The contact's number anywhere (``39333...`` or ``+39333...``), not inside a longer one."""
    return re.compile(rf"(?<!\d){re.escape(contact)}(?!\d)")
