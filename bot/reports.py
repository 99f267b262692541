"""Gather what the owner's report needs from Redis and compute it (``handoff.analytics``).

Customer message times come from the hub's transcripts (only of contacts whose
``last_inbound_at`` is within reach of the period), opt-outs from the consent logs,
unanswered questions from the knowledge-base misses stream (written by ``action_answer_faq``
at the customer's message time), tickets from the handoff store. Transcripts are read per
contact in one pipeline: fine for a small business's volume (thousands of contacts); a
larger deployment would keep a per-day index instead.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from redis.asyncio import Redis

from bot.keys import Keys
from handoff.analytics import (
    SESSION_GAP,
    ConsentChange,
    ContactActivity,
    KbMiss,
    Report,
    build_report,
)
from handoff.reports import tickets_between
from handoff.store import TicketStore
from handoff.teams import TeamDirectory


async def gather_report(
    *,
    redis: Redis,
    keys: Keys,
    store: TicketStore,
    teams: TeamDirectory,
    misses_stream: str,
    since: datetime,
    until: datetime,
) -> Report:
    """The report of ``[since, until)`` over the hub's and the handoff service's data."""
    wide_since, wide_until = since - SESSION_GAP, until + SESSION_GAP
    contacts = sorted(_text(c) for c in await redis.smembers(keys.contacts()))
    activity, consent = await _contacts(redis, keys, contacts, wide_since, until)
    calendars = {name: team.calendar for name, team in teams.teams.items()}
    return build_report(
        since=since,
        until=until,
        tickets=await tickets_between(store, wide_since, wide_until),
        activity=activity,
        consent=consent,
        misses=await _misses(redis, misses_stream),
        calendars=calendars,
        default_calendar=next(iter(calendars.values())),
    )


async def _contacts(
    redis: Redis, keys: Keys, contacts: list[str], since: datetime, until: datetime
) -> tuple[list[ContactActivity], list[ConsentChange]]:
    """Customer message times of the contacts active since ``since``; every consent change."""
    active = await _active_since(redis, keys, contacts, since)
    pipe = redis.pipeline(transaction=False)
    for contact in contacts:
        pipe.xrange(keys.consent_log(contact))
    for contact in active:
        pipe.xrange(keys.transcript(contact))
    replies = await pipe.execute()
    logs, transcripts = replies[: len(contacts)], replies[len(contacts) :]
    consent = [
        ConsentChange(contact=f"+{contact}", state=fields["state"], at=_aware(fields["at"]))
        for contact, log in zip(contacts, logs, strict=True)
        for fields in (_decoded(raw) for _entry_id, raw in log)
        if fields.get("state") and fields.get("at")
    ]
    activity = []
    for contact, transcript in zip(active, transcripts, strict=True):
        times = [t for t in _customer_times(transcript) if since <= t < until]
        if times:
            activity.append(ContactActivity(contact=f"+{contact}", messages=times))
    return activity, consent


async def _active_since(
    redis: Redis, keys: Keys, contacts: list[str], since: datetime
) -> list[str]:
    """Contacts whose last customer message (``last_inbound_at``) is not before ``since``.

    Transcripts are the big read; a contact silent since before the period has no message in
    it. Contacts without the field (older data) are kept.
    """
    pipe = redis.pipeline(transaction=False)
    for contact in contacts:
        pipe.hget(keys.contact(contact), "last_inbound_at")
    last = await pipe.execute()
    return [
        contact
        for contact, value in zip(contacts, last, strict=True)
        if value is None or _aware(_text(value)) >= since
    ]


def _customer_times(transcript: list[Any]) -> list[datetime]:
    """When the customer wrote (the message time WhatsApp gave, not our arrival time)."""
    times = []
    for _entry_id, fields in transcript:
        fields = _decoded(fields)
        if fields.get("role") == "customer" and fields.get("type") != "system" and fields.get("ts"):
            times.append(_aware(fields["ts"]))
    return times


async def _misses(redis: Redis, stream: str) -> list[KbMiss]:
    """Every question the knowledge base could not answer (the stream keeps the last 10,000)."""
    rows: list[Any] = await redis.xrange(stream) or []
    misses = []
    for _entry_id, raw in rows:
        fields = _decoded(raw or {})
        if fields.get("text") and fields.get("ts"):
            at = datetime.fromtimestamp(float(fields["ts"]), tz=UTC)
            misses.append(KbMiss(text=fields["text"], lang=fields.get("lang") or "", at=at))
    return misses


def _aware(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _decoded(fields: dict[Any, Any]) -> dict[str, str]:
    return {_text(k): _text(v) for k, v in fields.items()}


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
