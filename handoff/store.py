"""Tickets in Redis: one JSON document per ticket plus indexes, changed atomically.

Every change is an optimistic transaction (WATCH the ticket and the contact's gate, MULTI,
EXEC): the document, its indexes, the audit stream, the console event stream and the
counters are written together or not at all, so two agents can never hold one ticket.
"""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import WatchError

from handoff.errors import ConflictError, NotFoundError
from handoff.keys import Keys
from handoff.metrics import observe_change
from handoff.models import (
    AuditEntry,
    HistoryEntry,
    QueueEvent,
    Reason,
    Ticket,
    TicketEvent,
    TicketStatus,
)

_MAX_ATTEMPTS = 200
_PRIORITY_WEIGHT = 10**13
_AUDIT_SCAN = 100_000  # entries searched for one ticket's audit trail


@dataclass
class Change:
    """A new ticket state plus what happened (audit entries) and counters to bump."""

    ticket: Ticket
    entries: list[HistoryEntry]
    counters: list[str] = field(default_factory=list)
    event_type: str | None = None


def epoch_ms(at: datetime) -> int:
    """Milliseconds since the epoch."""
    return int(at.timestamp() * 1000)


def queue_score(ticket: Ticket) -> int:
    """Queue order: priority first, then the earlier SLA deadline (in real time)."""
    return ticket.priority.rank * _PRIORITY_WEIGHT + epoch_ms(ticket.real_time(ticket.sla_deadline))


class TicketStore:
    """Reads and atomically changes tickets and their indexes."""

    def __init__(
        self,
        redis: aioredis.Redis,
        keys: Keys,
        *,
        audit_maxlen: int | None = None,
        events_maxlen: int = 10_000,
    ) -> None:
        self.redis = redis
        self.keys = keys
        self.audit_maxlen = audit_maxlen
        self.events_maxlen = events_maxlen

    async def get(self, ticket_id: str) -> Ticket:
        """Return a ticket or raise ``NotFoundError``."""
        raw = await self.redis.get(self.keys.ticket(ticket_id))
        if raw is None:
            raise NotFoundError(f"ticket {ticket_id} does not exist")
        return Ticket.model_validate_json(raw)

    async def get_many(self, ticket_ids: list[str]) -> list[Ticket]:
        """Return the tickets that exist, in the given order."""
        if not ticket_ids:
            return []
        raws = await self.redis.mget([self.keys.ticket(tid) for tid in ticket_ids])
        return [Ticket.model_validate_json(raw) for raw in raws if raw is not None]

    async def open_ticket_id(self, phone: str) -> str | None:
        """The contact's open ticket id (the gate), if any."""
        value = await self.redis.get(self.keys.gate(phone))
        return value.decode() if isinstance(value, bytes) else value

    async def create_or_merge(
        self,
        phone: str,
        create: Callable[[str], Awaitable[Change]],
        merge: Callable[[Ticket], Awaitable[Change]],
    ) -> tuple[Change, bool]:
        """Create a ticket for a contact, or merge into their open one; ``True`` if created."""
        new_id: str | None = None
        for attempt in range(_MAX_ATTEMPTS):
            try:
                async with self.redis.pipeline(transaction=True) as pipe:
                    gate_key = self.keys.gate(phone)
                    await pipe.watch(gate_key)
                    open_id = _text(await pipe.get(gate_key))
                    old = await self._watch_ticket(pipe, open_id) if open_id else None
                    if old is not None and old.status.is_open:
                        change = await merge(old)
                    else:
                        # on the watched connection: a second pool connection could deadlock
                        new_id = new_id or _ticket_id(await pipe.incr(self.keys.ticket_seq()))
                        old, change = None, await create(new_id)
                    pipe.multi()
                    self._write(pipe, old, change)
                    await pipe.execute()
                    _observe(change)
                    return change, old is None
            except WatchError:
                await _backoff(attempt)
        raise ConflictError("too much contention on this contact; retry the request")

    async def mutate(
        self,
        ticket_id: str,
        apply: Callable[[Ticket], Awaitable[Change | None]],
    ) -> Change | None:
        """Apply a change to one ticket atomically (``None`` from ``apply`` = nothing to do)."""
        for attempt in range(_MAX_ATTEMPTS):
            try:
                async with self.redis.pipeline(transaction=True) as pipe:
                    old = await self._watch_ticket(pipe, ticket_id)
                    if old is None:
                        raise NotFoundError(f"ticket {ticket_id} does not exist")
                    await pipe.watch(self.keys.gate(old.contact.phone))
                    gate_owner = _text(await pipe.get(self.keys.gate(old.contact.phone)))
                    change = await apply(old)
                    if change is None:
                        return None
                    _check_gate(old, change.ticket, gate_owner)
                    pipe.multi()
                    self._write(pipe, old, change)
                    await pipe.execute()
                    _observe(change)
                    return change
            except WatchError:
                await _backoff(attempt)
        raise ConflictError(f"ticket {ticket_id} is changing too fast; retry the request")

    async def _watch_ticket(self, pipe: aioredis.client.Pipeline, ticket_id: str) -> Ticket | None:
        key = self.keys.ticket(ticket_id)
        await pipe.watch(key)
        raw = await pipe.get(key)
        return None if raw is None else Ticket.model_validate_json(raw)

    def _write(self, pipe: aioredis.client.Pipeline, old: Ticket | None, change: Change) -> None:
        """Queue the document, its indexes, audit, event and counters on a MULTI pipeline."""
        new = change.ticket
        pipe.set(self.keys.ticket(new.id), new.model_dump_json())
        self._index(pipe, old, new)
        for entry in change.entries:
            pipe.xadd(self.keys.audit(), _audit_fields(new.id, entry), maxlen=self.audit_maxlen)
        if change.event_type:
            event = QueueEvent(
                type=change.event_type,
                ticket_id=new.id,
                team=new.team,
                status=new.status,
                priority=new.priority,
                assignee=new.assignee,
                at=change.entries[-1].at if change.entries else new.updated_at,
            )
            fields: dict[Any, Any] = {"type": event.type, "payload": event.model_dump_json()}
            pipe.xadd(self.keys.events(), fields, maxlen=self.events_maxlen, approximate=True)
        for counter in change.counters:
            pipe.hincrby(self.keys.stats(), counter, 1)
            pipe.hincrby(self.keys.team_stats(new.team), counter, 1)

    def _index(self, pipe: aioredis.client.Pipeline, old: Ticket | None, new: Ticket) -> None:
        keys, created = self.keys, epoch_ms(new.created_at)
        if old is not None:
            pipe.zrem(keys.queue(old.team), new.id)
            if old.assignee:
                pipe.srem(keys.agent_tickets(old.assignee), new.id)
        pipe.zadd(keys.tickets_all(), {new.id: created}, nx=True)
        pipe.zadd(keys.contact_tickets(new.contact.phone), {new.id: created}, nx=True)
        if Reason.qualified_lead in new.reasons:
            pipe.zadd(keys.leads(), {new.id: created}, nx=True)
        if not new.status.is_open:
            pipe.zrem(keys.tickets_open(), new.id)
            pipe.zrem(keys.sla_pending(), new.id)
            pipe.zrem(keys.escalation_pending(), new.id)
            if old is not None and old.status.is_open:
                pipe.delete(keys.gate(new.contact.phone))
            return
        pipe.set(keys.gate(new.contact.phone), new.id)
        pipe.zadd(keys.tickets_open(), {new.id: created})
        if new.status is TicketStatus.queued:
            pipe.zadd(keys.queue(new.team), {new.id: queue_score(new)})
        if new.assignee:
            pipe.sadd(keys.agent_tickets(new.assignee), new.id)
        self._index_deadlines(pipe, new)

    def _index_deadlines(self, pipe: aioredis.client.Pipeline, new: Ticket) -> None:
        """Deadline indexes hold real instants, so one real clock finds every due ticket."""
        keys = self.keys
        if new.first_response_at is None and not new.sla_breached:
            pipe.zadd(keys.sla_pending(), {new.id: epoch_ms(new.real_time(new.sla_deadline))})
        else:
            pipe.zrem(keys.sla_pending(), new.id)
        if new.claimed_at is None and new.first_response_at is None and new.escalate_at:
            pipe.zadd(keys.escalation_pending(), {new.id: epoch_ms(new.real_time(new.escalate_at))})
        else:
            pipe.zrem(keys.escalation_pending(), new.id)

    # --- reads for lists, audit and monitors ---------------------------------------------

    async def queue_ids(self, team: str, limit: int = 100) -> list[str]:
        """Unassigned ticket ids of a team in serving order."""
        return as_texts(await self.redis.zrange(self.keys.queue(team), 0, limit - 1))

    async def due_ids(self, index_key: str, now: datetime, limit: int = 100) -> list[str]:
        """Ticket ids whose score (a deadline) is at or before ``now``."""
        raw = await self.redis.zrangebyscore(index_key, "-inf", epoch_ms(now), start=0, num=limit)
        return as_texts(raw)

    async def audit(self, ticket_id: str | None = None, count: int = 200) -> list[AuditEntry]:
        """Latest audit entries, oldest first, optionally for one ticket."""
        scan = count if not ticket_id else _AUDIT_SCAN
        rows: list[Any] = await self.redis.xrevrange(self.keys.audit(), count=scan) or []
        entries = [_audit_entry(entry_id, fields) for entry_id, fields in rows]
        if ticket_id:
            entries = [e for e in entries if e.ticket_id == ticket_id][:count]
        return list(reversed(entries))

    async def record_audit(self, subject: str, entry: HistoryEntry) -> str:
        """Append an entry about something other than a ticket (e.g. ``kb:it/parking``)."""
        entry_id = await self.redis.xadd(
            self.keys.audit(), _audit_fields(subject, entry), maxlen=self.audit_maxlen
        )
        return as_text(entry_id)

    async def contact_audit(self, phone: str) -> list[AuditEntry]:
        """Every audit entry of the contact's tickets, oldest first (GDPR export)."""
        ids = set(as_texts(await self.redis.zrange(self.keys.contact_tickets(phone), 0, -1)))
        rows: list[Any] = await self.redis.xrange(self.keys.audit()) or []
        return [
            _audit_entry(entry_id, fields)
            for entry_id, fields in rows
            if _field(fields, "ticket_id") in ids
        ]

    async def erase_contact(self, phone: str, actor: str) -> tuple[int, int]:
        """GDPR erasure: the contact's tickets, indexes and audit entries; one tombstone stays."""
        ids = as_texts(await self.redis.zrange(self.keys.contact_tickets(phone), 0, -1))
        tickets = await self.get_many(ids)
        erased = await self._erase_tickets(
            tickets, actor, extra_keys=[self.keys.gate(phone), self.keys.contact_tickets(phone)]
        )
        await self._purge_jobs(phone)
        return erased

    async def erase_resolved_before(self, cutoff: datetime, actor: str) -> tuple[int, int]:
        """Retention: erase resolved tickets whose resolution is older than ``cutoff``."""
        ids = as_texts(
            await self.redis.zrangebyscore(self.keys.tickets_all(), "-inf", epoch_ms(cutoff))
        )
        old = [
            ticket
            for ticket in await self.get_many(ids)
            if not ticket.status.is_open and (ticket.resolved_at or ticket.updated_at) < cutoff
        ]
        return await self._erase_tickets(old, actor, extra_keys=[])

    async def _erase_tickets(
        self, tickets: list[Ticket], actor: str, extra_keys: list[str]
    ) -> tuple[int, int]:
        """Delete tickets, their indexes and audit entries atomically; add one tombstone."""
        keys, wanted = self.keys, {ticket.id for ticket in tickets}
        rows: list[Any] = await self.redis.xrange(keys.audit()) or []
        audit_ids = [as_text(i) for i, fields in rows if _field(fields, "ticket_id") in wanted]
        async with self.redis.pipeline(transaction=True) as pipe:
            for ticket in tickets:
                self._unindex(pipe, ticket)
            if extra_keys:
                pipe.delete(*extra_keys)
            if audit_ids:
                pipe.xdel(keys.audit(), *audit_ids)
            tombstone = HistoryEntry(
                event=TicketEvent.erased,
                at=datetime.now(UTC),
                actor=actor,
                detail={"tickets": len(tickets), "audit_entries": len(audit_ids)},
            )
            pipe.xadd(keys.audit(), _audit_fields("-", tombstone), maxlen=self.audit_maxlen)
            await pipe.execute()
        return len(tickets), len(audit_ids)

    def _unindex(self, pipe: aioredis.client.Pipeline, ticket: Ticket) -> None:
        """Queue the deletion of one ticket and its entries in every index."""
        keys = self.keys
        pipe.delete(keys.ticket(ticket.id))
        for index in (
            keys.tickets_all(),
            keys.tickets_open(),
            keys.leads(),
            keys.sla_pending(),
            keys.escalation_pending(),
            keys.queue(ticket.team),
            keys.contact_tickets(ticket.contact.phone),
        ):
            pipe.zrem(index, ticket.id)
        if ticket.assignee:
            pipe.srem(keys.agent_tickets(ticket.assignee), ticket.id)

    async def _purge_jobs(self, phone: str) -> None:
        """Drop outbox jobs and dead letters that mention the contact (pending CRM/Rasa work)."""
        needles = (phone, phone.lstrip("+"))
        for kind in ("crm", "rasa", "outbound"):
            jobs = as_texts(await self.redis.zrange(self.keys.outbox(kind), 0, -1))
            doomed = [job for job in jobs if any(n in job for n in needles)]
            if doomed:
                await self.redis.zrem(self.keys.outbox(kind), *doomed)
            dead = as_texts(await self.redis.lrange(self.keys.dead_letter(kind), 0, -1))
            for job in {job for job in dead if any(n in job for n in needles)}:
                await self.redis.lrem(self.keys.dead_letter(kind), 0, job)


def _observe(change: Change) -> None:
    """Metrics of a committed change (after EXEC, so a retried transaction counts once)."""
    ticket = change.ticket
    reason = ticket.reasons[0].value if ticket.reasons else "unknown"
    events = [entry.event for entry in change.entries]
    observe_change(events, reason, ticket.team, change.counters)


def _check_gate(old: Ticket, new: Ticket, gate_owner: str | None) -> None:
    """Refuse to open a ticket while the contact already has another open one."""
    if not old.status.is_open and new.status.is_open and gate_owner and gate_owner != new.id:
        raise ConflictError(
            f"contact {new.contact.phone} already has open ticket {gate_owner}; work on that one"
        )


def _audit_fields(ticket_id: str, entry: HistoryEntry) -> dict[Any, Any]:
    return {
        "ticket_id": ticket_id,
        "event": entry.event.value,
        "actor": entry.actor,
        "at": entry.at.astimezone(UTC).isoformat(),
        "detail": json.dumps(entry.detail, ensure_ascii=False, default=str),
    }


def _audit_entry(entry_id: Any, fields: dict[Any, Any]) -> AuditEntry:
    text = {as_text(k): as_text(v) for k, v in fields.items()}
    return AuditEntry(
        id=as_text(entry_id),
        ticket_id=text["ticket_id"],
        event=TicketEvent(text["event"]),
        actor=text["actor"],
        at=datetime.fromisoformat(text["at"]),
        detail=json.loads(text["detail"]),
    )


def _ticket_id(number: int) -> str:
    """Ticket ids are ``T-000001``, ``T-000002``... never reused."""
    return f"T-{number:06d}"


def _field(fields: dict[Any, Any], name: str) -> str:
    value = fields.get(name, fields.get(name.encode()))
    return as_text(value) if value is not None else ""


def as_text(value: Any) -> str:
    """A Redis reply as ``str`` (clients may or may not decode responses)."""
    return value.decode() if isinstance(value, bytes) else str(value)


def as_texts(values: Iterable[Any] | None) -> list[str]:
    """Several Redis replies as ``str``."""
    return [as_text(value) for value in values or []]


def _text(value: Any) -> str | None:
    return value.decode() if isinstance(value, bytes) else value


async def _backoff(attempt: int) -> None:
    await asyncio.sleep(random.uniform(0, min(0.05, 0.002 * (attempt + 1))))
