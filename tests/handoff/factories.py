"""Builders of request bodies for handoff tests."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from typing import Any

from handoff.models import TicketCreate

_PHONES = itertools.count(1)
MONDAY_10 = datetime.fromisoformat("2026-03-02T10:15:00+01:00")


def new_phone() -> str:
    """A phone number no other test uses."""
    return f"+39333{next(_PHONES):07d}"


def ticket_body(
    phone: str | None = None,
    *,
    reason: str = "human_requested",
    opened_at: datetime = MONDAY_10,
    messages: list[str] | None = None,
    language: str = "it",
    **fields: Any,
) -> dict[str, Any]:
    """A ``TicketCreate`` body as the action server sends it."""
    texts = messages if messages is not None else ["Buongiorno", "vorrei parlare con una persona"]
    transcript = []
    for index, text in enumerate(texts):
        at = opened_at - timedelta(minutes=len(texts) - index)
        transcript.append({"role": "customer", "text": text, "ts": at.isoformat()})
        transcript.append(
            {"role": "bot", "text": "Ok", "ts": (at + timedelta(seconds=2)).isoformat()}
        )
    body: dict[str, Any] = {
        "contact": {"phone": phone or new_phone(), "name": "Mario Rossi", "language": language},
        "reason": reason,
        "team": None,
        "priority": None,
        "lead": None,
        "transcript": transcript,
        "unanswered": [],
        "opened_at": opened_at.isoformat(),
    }
    body.update(fields)
    return body


def ticket_create(phone: str | None = None, **kwargs: Any) -> TicketCreate:
    """The same body as a model."""
    return TicketCreate.model_validate(ticket_body(phone, **kwargs))
