"""Input models: phone normalisation, lenient lead slots, exclusive reply fields."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from handoff.models import LeadSlots, ReplyRequest, TicketCreate, TranscriptMessage, normalize_phone
from tests.handoff.factories import ticket_body


@pytest.mark.parametrize(
    "raw", ["+39 333 123 4567", "0039 333-123-4567", "393331234567", "+393331234567"]
)
def test_phones_become_e164(raw: str) -> None:
    assert normalize_phone(raw) == "+393331234567"


def test_bad_phone_says_what_is_expected() -> None:
    with pytest.raises(ValueError, match="E.164"):
        normalize_phone("call me")


def test_rasa_float_slots_are_accepted() -> None:
    lead = LeadSlots.model_validate({"rooms": 3.0, "budget_max": 350000.0, "timeframe": 6.0})
    assert lead.model_dump(exclude_none=True) == {"rooms": 3, "budget_max": 350000, "timeframe": 6}
    assert isinstance(lead.rooms, int)


def test_ticket_create_refuses_unknown_fields_and_naive_times() -> None:
    with pytest.raises(ValidationError):
        TicketCreate.model_validate(ticket_body(surprise=True))
    with pytest.raises(ValidationError):
        TicketCreate.model_validate(ticket_body() | {"opened_at": "2026-03-02T10:15:00"})


def test_transcript_time_may_be_missing() -> None:
    message = TranscriptMessage.model_validate({"role": "customer", "text": "ciao", "ts": ""})
    assert message.ts is None


def test_reply_needs_text_or_canned_id() -> None:
    with pytest.raises(ValidationError, match="either"):
        ReplyRequest()
    with pytest.raises(ValidationError, match="either"):
        ReplyRequest(text="a", canned_id="b")
    assert ReplyRequest(canned_id="greeting_it").text is None
