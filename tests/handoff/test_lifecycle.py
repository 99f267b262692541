"""Pure ticket transitions (no Redis): guards, SLA flags, escalation, reopen."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from handoff import lifecycle
from handoff.errors import ConflictError
from handoff.models import (
    Contact,
    LeadSlots,
    Priority,
    Reason,
    Summary,
    Ticket,
    TicketEvent,
    TicketStatus,
)

OPENED = datetime.fromisoformat("2026-03-02T10:15:00+01:00")
DEADLINE = OPENED + timedelta(hours=1)


def make_ticket(**changes: object) -> Ticket:
    contact = Contact(phone="+393331234567", name="Mario")
    summary = Summary(
        who=contact,
        reason=Reason.human_requested,
        reasons=[Reason.human_requested],
        lead=LeadSlots(),
        facts=[],
        unanswered=[],
        last_messages=[],
        text="Mario",
    )
    ticket = Ticket(
        id="T-000001",
        contact=contact,
        reason=Reason.human_requested,
        reasons=[Reason.human_requested],
        team="support",
        priority=Priority.normal,
        status=TicketStatus.queued,
        created_at=OPENED,
        updated_at=OPENED,
        sla_deadline=DEADLINE,
        escalate_at=OPENED + timedelta(minutes=30),
        summary=summary,
    )
    return ticket.model_copy(update=changes)


def test_claim_conflicts_and_idempotence() -> None:
    claimed = lifecycle.assign(make_ticket(), "anna", "anna", OPENED, claim=True).ticket
    assert claimed.assignee == "anna" and claimed.status is TicketStatus.assigned
    with pytest.raises(ConflictError, match="already held by anna"):
        lifecycle.assign(claimed, "bruno", "bruno", OPENED, claim=True)
    again = lifecycle.assign(claimed, "anna", "anna", OPENED, claim=True)
    assert again.entries == [] and again.ticket is claimed


def test_offered_ticket_is_picked_up_by_its_claim() -> None:
    offered = lifecycle.assign(make_ticket(), "anna", "system", OPENED, claim=False).ticket
    assert offered.claimed_at is None and offered.history[-1].event is TicketEvent.assigned
    taken = lifecycle.assign(offered, "anna", "anna", OPENED, claim=True)
    assert taken.ticket.claimed_at == OPENED and taken.entries[0].event is TicketEvent.claimed


def test_transitions_do_not_mutate_their_input() -> None:
    original = make_ticket()
    lifecycle.add_note(original, "anna", "nota", OPENED)
    assert original.notes == [] and original.history == []


def test_first_reply_decides_the_sla() -> None:
    on_time = lifecycle.agent_reply(make_ticket(assignee="a"), "a", "ciao", "m1", DEADLINE)
    assert not on_time.ticket.sla_breached and on_time.counters == []
    late = lifecycle.agent_reply(
        make_ticket(assignee="a"), "a", "ciao", "m1", DEADLINE + timedelta(seconds=1)
    )
    assert late.ticket.sla_breached and late.counters == ["sla_breached"]
    second = lifecycle.agent_reply(late.ticket, "a", "altro", "m2", DEADLINE + timedelta(hours=5))
    assert (
        second.counters == [] and second.ticket.first_response_at == late.ticket.first_response_at
    )
    assert second.ticket.status is TicketStatus.waiting_customer


def test_breach_flag_only_when_due_and_once() -> None:
    ticket = make_ticket()
    assert lifecycle.mark_breached(ticket, DEADLINE - timedelta(seconds=1)) is None
    change = lifecycle.mark_breached(ticket, DEADLINE)
    assert change is not None and change.ticket.sla_breached
    assert lifecycle.mark_breached(change.ticket, DEADLINE + timedelta(hours=1)) is None
    answered = make_ticket(first_response_at=OPENED)
    assert lifecycle.mark_breached(answered, DEADLINE + timedelta(hours=1)) is None


def test_escalation_requeues_an_offered_ticket_once() -> None:
    offered = lifecycle.assign(make_ticket(), "anna", "system", OPENED, claim=False).ticket
    assert lifecycle.escalate(offered, OPENED + timedelta(minutes=29)) is None
    change = lifecycle.escalate(offered, OPENED + timedelta(minutes=30))
    assert change is not None
    assert change.ticket.status is TicketStatus.queued and change.ticket.assignee is None
    assert change.ticket.escalated and change.entries[0].detail == {"previous_agent": "anna"}
    assert lifecycle.escalate(change.ticket, OPENED + timedelta(hours=3)) is None
    claimed = lifecycle.assign(make_ticket(), "anna", "anna", OPENED, claim=True).ticket
    assert lifecycle.escalate(claimed, OPENED + timedelta(hours=3)) is None


def test_resolved_tickets_refuse_work_until_reopened() -> None:
    resolved = lifecycle.resolve(make_ticket(assignee="anna"), "anna", OPENED, None).ticket
    for action in (
        lambda: lifecycle.assign(resolved, "bruno", "bruno", OPENED, claim=True),
        lambda: lifecycle.resolve(resolved, "anna", OPENED, None),
        lambda: lifecycle.transfer(
            resolved, team="sales", agent=None, actor="x", at=OPENED, escalate_at=None, note=None
        ),
    ):
        with pytest.raises(ConflictError, match="reopen"):
            action()
    late_reply = lifecycle.agent_reply(resolved, "anna", "scusi", "m9", OPENED)
    assert late_reply.ticket.status is TicketStatus.resolved, "recorded, status unchanged"
    new_deadline = OPENED + timedelta(days=1)
    reopened = lifecycle.reopen(resolved, "sara", OPENED, new_deadline, new_deadline).ticket
    assert reopened.status is TicketStatus.queued and reopened.assignee is None
    assert reopened.sla_deadline == new_deadline and reopened.resolved_at is None
    with pytest.raises(ConflictError, match="already open"):
        lifecycle.reopen(reopened, "sara", OPENED, new_deadline, new_deadline)


def test_new_reason_raises_priority_never_lowers_it() -> None:
    high = lifecycle.add_reason(make_ticket(), Reason.complaint, Priority.high, OPENED).ticket
    assert high.priority is Priority.high and high.reasons == [
        Reason.human_requested,
        Reason.complaint,
    ]
    still_high = lifecycle.add_reason(high, Reason.bot_failed, Priority.low, OPENED).ticket
    assert still_high.priority is Priority.high
