"""Pure ticket transitions: each takes a ticket and returns the changed copy plus history.

No I/O here: ``TicketService`` runs these inside a Redis transaction (``TicketStore``).
"""

from __future__ import annotations

from datetime import UTC, datetime

from handoff.errors import ConflictError
from handoff.models import (
    FactValue,
    HistoryEntry,
    MessageRole,
    Note,
    Priority,
    Reason,
    Ticket,
    TicketEvent,
    TicketStatus,
    TranscriptMessage,
)
from handoff.store import Change

SYSTEM = "system"
SERVICE = "service"


def record(
    ticket: Ticket,
    event: TicketEvent,
    actor: str,
    at: datetime,
    counters: list[str] | None = None,
    **detail: FactValue,
) -> Change:
    """Append one history entry to a (copied) ticket and wrap it as a ``Change``."""
    entry = HistoryEntry(event=event, at=at, actor=actor, detail=detail)
    ticket.history.append(entry)
    ticket.updated_at = max(ticket.updated_at, at)
    return Change(ticket=ticket, entries=[entry], counters=counters or [], event_type=_event(event))


def _event(event: TicketEvent) -> str:
    return f"ticket.{event.value}"


def _ensure_open(ticket: Ticket, action: str) -> None:
    if not ticket.status.is_open:
        raise ConflictError(f"ticket {ticket.id} is resolved; reopen it before you {action}")


def add_reason(ticket: Ticket, reason: Reason, priority: Priority | None, at: datetime) -> Change:
    """A new handoff trigger for a contact who already has an open ticket."""
    new = ticket.model_copy(deep=True)
    if reason not in new.reasons:
        new.reasons.append(reason)
    if priority is not None and priority.rank < new.priority.rank:
        new.priority = priority
    return record(new, TicketEvent.reason_added, SERVICE, at, reason=reason.value)


def add_customer_message(ticket: Ticket, message: TranscriptMessage) -> Change:
    """A customer wrote while the ticket is open: the agent is waited on again."""
    _ensure_open(ticket, "add messages")
    new = ticket.model_copy(deep=True)
    new.transcript.append(message)
    if new.status is TicketStatus.waiting_customer:
        new.status = TicketStatus.assigned if new.assignee else TicketStatus.queued
    return record(
        new,
        TicketEvent.customer_message,
        SERVICE,
        message.ts or datetime.now(UTC),
        wamid=message.wamid,
        type=message.type,
    )


def assign(ticket: Ticket, agent: str, actor: str, at: datetime, *, claim: bool) -> Change:
    """Give the ticket to one agent; ``claim`` = the agent took it (picked up) themself."""
    _ensure_open(ticket, "assign it")
    if ticket.assignee and ticket.assignee != agent:
        raise ConflictError(f"ticket {ticket.id} is already held by {ticket.assignee}")
    if ticket.assignee == agent and (ticket.claimed_at or not claim):
        return Change(ticket=ticket, entries=[])
    new = ticket.model_copy(deep=True)
    new.assignee = agent
    if new.status is TicketStatus.queued:
        new.status = TicketStatus.assigned
    if claim:
        new.claimed_at = at
        return record(new, TicketEvent.claimed, actor, at, agent=agent)
    return record(new, TicketEvent.assigned, actor, at, agent=agent)


def agent_reply(ticket: Ticket, agent: str, text: str, message_id: str, at: datetime) -> Change:
    """An agent's reply went out: first response recorded, SLA checked.

    Also recorded on a ticket resolved meanwhile (the message did go out), without
    changing its status.
    """
    new = ticket.model_copy(deep=True)
    new.transcript.append(
        TranscriptMessage(role=MessageRole.agent, text=text, ts=at, agent_id=agent)
    )
    if not new.status.is_open:
        return record(new, TicketEvent.replied, agent, at, message_id=message_id, text=text)
    counters: list[str] = []
    if new.first_response_at is None:
        new.first_response_at = at
        if at > new.sla_deadline and not new.sla_breached:
            new.sla_breached = True
            counters.append("sla_breached")
    new.claimed_at = new.claimed_at or at
    new.status = TicketStatus.waiting_customer
    return record(new, TicketEvent.replied, agent, at, counters, message_id=message_id, text=text)


def add_note(ticket: Ticket, author: str, text: str, at: datetime) -> Change:
    """An internal note (never sent to the customer)."""
    new = ticket.model_copy(deep=True)
    new.notes.append(Note(author=author, text=text, at=at))
    return record(new, TicketEvent.note, author, at, text=text)


def transfer(
    ticket: Ticket,
    *,
    team: str,
    agent: str | None,
    actor: str,
    at: datetime,
    escalate_at: datetime | None,
    note: str | None,
) -> Change:
    """Move a ticket to a team's queue, or straight to one agent."""
    _ensure_open(ticket, "transfer it")
    new = ticket.model_copy(deep=True)
    from_team, from_agent = new.team, new.assignee
    new.team, new.assignee, new.claimed_at = team, agent, None
    new.status = TicketStatus.assigned if agent else TicketStatus.queued
    new.escalate_at = escalate_at if new.first_response_at is None else None
    return record(
        new,
        TicketEvent.transferred,
        actor,
        at,
        from_team=from_team,
        from_agent=from_agent,
        team=team,
        agent=agent,
        note=note,
    )


def resolve(ticket: Ticket, actor: str, at: datetime, note: str | None) -> Change:
    """Close the ticket: the conversation goes back to the bot."""
    _ensure_open(ticket, "resolve it")
    new = ticket.model_copy(deep=True)
    new.status = TicketStatus.resolved
    new.resolved_at, new.resolved_by = at, actor
    return record(new, TicketEvent.resolved, actor, at, ["resolved"], note=note)


def reopen(
    ticket: Ticket, actor: str, at: datetime, deadline: datetime, escalate_at: datetime
) -> Change:
    """Reopen a resolved ticket: back in its team's queue with a new SLA deadline."""
    if ticket.status.is_open:
        raise ConflictError(f"ticket {ticket.id} is already open")
    new = ticket.model_copy(deep=True)
    new.status, new.assignee = TicketStatus.queued, None
    new.resolved_at = new.resolved_by = None
    new.first_response_at = new.claimed_at = None
    new.sla_deadline, new.escalate_at = deadline, escalate_at
    new.sla_breached = new.escalated = False
    return record(new, TicketEvent.reopened, actor, at, ["reopened"])


def mark_breached(ticket: Ticket, at: datetime) -> Change | None:
    """Flag a ticket whose first-response deadline passed without a reply."""
    due = ticket.status.is_open and ticket.first_response_at is None
    if not due or ticket.sla_breached or at < ticket.sla_deadline:
        return None
    new = ticket.model_copy(deep=True)
    new.sla_breached = True
    deadline = ticket.sla_deadline.isoformat()
    return record(new, TicketEvent.sla_breached, SYSTEM, at, ["sla_breached"], deadline=deadline)


def escalate(ticket: Ticket, at: datetime) -> Change | None:
    """Nobody picked the ticket up in time: back to the queue, flagged for supervisors."""
    picked_up = ticket.claimed_at is not None or ticket.first_response_at is not None
    due = ticket.escalate_at is not None and at >= ticket.escalate_at
    if not ticket.status.is_open or picked_up or not due or ticket.escalated:
        return None
    new = ticket.model_copy(deep=True)
    previous = new.assignee
    new.escalated, new.escalate_at, new.assignee = True, None, None
    if new.status is TicketStatus.assigned:
        new.status = TicketStatus.queued
    return record(new, TicketEvent.escalated, SYSTEM, at, ["escalated"], previous_agent=previous)
