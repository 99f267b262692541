"""The handoff action: the reply time promised to the customer, the ticket transcript."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from rasa_sdk import Tracker

from actions.formatting import when_text
from actions.handoff import promised_reply_at, transcript_of

NOW = datetime.fromisoformat("2026-03-11T11:30:00+01:00")


def _ticket(open_now: bool, deadline: str, reply_from: str) -> dict[str, object]:
    return {"is_open_now": open_now, "sla_deadline": deadline, "staff_reply_from": reply_from}


@pytest.mark.parametrize(
    ("ticket", "promised", "text"),
    [
        (  # office open: the SLA deadline, never "by now"
            _ticket(True, "2026-03-11T12:30:00+01:00", "2026-03-11T11:30:00+01:00"),
            "2026-03-11T12:30:00+01:00",
            "entro le 12:30",
        ),
        (  # closed: the opening time
            _ticket(False, "2026-03-12T10:00:00+01:00", "2026-03-12T09:00:00+01:00"),
            "2026-03-12T09:00:00+01:00",
            "domani alle 9:00",
        ),
        (  # joined an open ticket whose deadline passed: no promise in the past
            _ticket(True, "2026-03-11T10:45:00+01:00", "2026-03-11T11:30:00+01:00"),
            "2026-03-11T11:30:00+01:00",
            "entro le 11:30",
        ),
    ],
)
def test_promised_reply_time(ticket: dict[str, object], promised: str, text: str) -> None:
    at = promised_reply_at(ticket, NOW)
    assert at == datetime.fromisoformat(promised)
    assert when_text(at, NOW, "it") == text


def test_answer_without_deadline_falls_back_to_opening_time() -> None:
    ticket = {"is_open_now": True, "staff_reply_from": "2026-03-11T11:30:00+01:00"}
    assert promised_reply_at(ticket, NOW) == NOW


def test_transcript_is_on_the_message_clock() -> None:
    """Rasa stamps events with the real clock; the transcript keeps the customer's clock."""
    real = 1_790_000_000.0  # Rasa's timestamps (real time)
    events = [
        {"event": "action", "name": "action_listen", "timestamp": real - 5},
        {"event": "user", "text": "ciao", "timestamp": real, "metadata": {"now": NOW.isoformat()}},
        {"event": "bot", "text": "Ciao! Come posso aiutarti?", "timestamp": real + 2},
        {"event": "user", "text": "un operatore", "timestamp": real + 60},  # no metadata
    ]
    tracker = Tracker("39333", {}, {}, events, False, None, None, None)
    lines = transcript_of(tracker)
    assert [line["role"] for line in lines] == ["customer", "bot", "customer"]
    times = [datetime.fromisoformat(line["ts"]) for line in lines]
    assert times[0] == NOW
    assert times[1] == NOW + timedelta(seconds=2)
    assert times[2] == NOW + timedelta(seconds=60), "same shift until a message says otherwise"
