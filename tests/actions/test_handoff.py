"""The reply time the handoff action promises to the customer."""

from __future__ import annotations

from datetime import datetime

import pytest

from actions.formatting import when_text
from actions.handoff import promised_reply_at

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
