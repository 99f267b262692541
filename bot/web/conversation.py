"""What the console shows of a conversation: transcript with ticks, window, SLA state.

The transcript is the hub's (``bot/keys.py`` ``transcript``), with each business message's
delivery status; the window follows ``bot/whatsapp/policy.py``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol

from redis.asyncio import Redis

from bot.keys import Keys
from bot.statuses import message_statuses
from bot.whatsapp import redis_replies as replies
from bot.whatsapp.consent import is_opted_out
from bot.whatsapp.policy import is_window_open, window_from

HISTORY = 200  # transcript entries shown
SLA_WARN = timedelta(minutes=15)  # countdown turns amber this long before the deadline
BUSINESS_ROLES = ("bot", "agent", "system")


@dataclass(frozen=True, slots=True, kw_only=True)
class Bubble:
    """One message of the chat as the console shows it."""

    role: str  # customer, bot, agent, system
    kind: str  # text, button, interactive, image, document, ...
    text: str
    ts: str
    buttons: list[str] = field(default_factory=list)
    media_id: str = ""
    agent: str = ""
    status: str = ""  # delivery of business messages: sent, delivered, read, failed...


@dataclass(frozen=True, slots=True, kw_only=True)
class Window:
    """The customer-service window and consent of one contact."""

    is_open: bool
    since: datetime | None
    opted_out: bool


def _bubble(fields: dict[str, str], statuses: dict[str, str]) -> Bubble:
    role = fields.get("role", "")
    if role == "customer":
        return Bubble(
            role=role,
            kind=fields.get("type") or "text",
            text=fields.get("text", ""),
            ts=fields.get("ts", ""),
            media_id=fields.get("media_id", ""),
        )
    return Bubble(
        role=role,
        kind="text",
        text=fields.get("text", ""),
        ts=fields.get("ts", ""),
        buttons=json.loads(fields.get("buttons") or "[]"),
        agent=fields.get("agent_id", ""),
        status=statuses.get(fields.get("message_id", ""), "sent"),
    )


async def read_transcript(redis: Redis, keys: Keys, phone: str) -> list[Bubble]:
    """The contact's chat, oldest first: customer messages and what was sent to them."""
    contact = phone.lstrip("+")
    raw = await redis.xrevrange(keys.transcript(contact), count=HISTORY)
    entries = [fields for _, fields in reversed(replies.entries(raw))]
    shown = [
        f
        for f in entries
        if f.get("role") == "customer" or (f.get("role") in BUSINESS_ROLES and f.get("wamid"))
    ]
    ids = [f["message_id"] for f in shown if f.get("message_id")]
    statuses = await message_statuses(redis, keys, ids)
    return [_bubble(f, statuses) for f in shown]


async def read_window(redis: Redis, keys: Keys, phone: str, now: datetime) -> Window:
    """Whether free text may reach the contact now (else only a template)."""
    fields = replies.text_dict(await redis.hgetall(keys.contact(phone.lstrip("+"))))
    is_open = is_window_open(fields, now) or window_from(fields) is None
    return Window(is_open=is_open, since=window_from(fields), opted_out=is_opted_out(fields))


class HasSla(Protocol):
    """A ticket or a queue row: what the SLA colour depends on."""

    sla_deadline: datetime
    sla_breached: bool
    first_response_at: datetime | None


def sla_state(ticket: HasSla, now: datetime | None = None) -> str:
    """``met`` (answered), ``late`` (past the deadline), ``warn`` (close to it) or ``ok``."""
    now = now or datetime.now(UTC)
    if ticket.first_response_at is not None and not ticket.sla_breached:
        return "met"
    if ticket.sla_breached or ticket.sla_deadline <= now:
        return "late"
    return "warn" if ticket.sla_deadline - now <= SLA_WARN else "ok"
