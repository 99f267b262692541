"""Staff routes on tickets: queue, claim, reply, notes, transfer, resolve, reopen."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query

from handoff.api.deps import AgentDep, StateDep
from handoff.api.routing import HandoffRoute
from handoff.canned import render
from handoff.models import (
    CannedRendered,
    NoteRequest,
    ReopenRequest,
    ReplyRequest,
    ReplyResult,
    ResolveRequest,
    Ticket,
    TicketPage,
    TicketStatus,
    TransferRequest,
)

router = APIRouter(prefix="/api/staff/tickets", tags=["staff tickets"], route_class=HandoffRoute)


@router.get("")
async def list_tickets(
    user: AgentDep,
    state: StateDep,
    team: str | None = None,
    status: TicketStatus | Literal["open", "all"] = "open",
    assignee: Annotated[str | None, Query(description="a username, or 'me'")] = None,
    breached: bool | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> TicketPage:
    """The queue: open tickets by priority then SLA deadline (filters optional)."""
    who = user.username if assignee == "me" else assignee
    return await state.tickets.search(
        team=team, status=status, assignee=who, breached=breached, limit=limit, offset=offset
    )


@router.get("/{ticket_id}")
async def get_ticket(ticket_id: str, user: AgentDep, state: StateDep) -> Ticket:
    """One ticket: summary, transcript, notes, history."""
    return await state.tickets.get(ticket_id)


@router.post("/{ticket_id}/claim")
async def claim_ticket(ticket_id: str, user: AgentDep, state: StateDep) -> Ticket:
    """Take the ticket (409 when someone else holds it)."""
    return await state.tickets.claim(ticket_id, user)


@router.post("/{ticket_id}/reply")
async def reply(ticket_id: str, body: ReplyRequest, user: AgentDep, state: StateDep) -> ReplyResult:
    """Send a reply to the customer on WhatsApp (through the hub); audited."""
    return await state.tickets.reply(ticket_id, user, body)


@router.post("/{ticket_id}/notes")
async def add_note(ticket_id: str, body: NoteRequest, user: AgentDep, state: StateDep) -> Ticket:
    """Add an internal note (never sent to the customer)."""
    return await state.tickets.note(ticket_id, user, body.text)


@router.post("/{ticket_id}/transfer")
async def transfer(
    ticket_id: str, body: TransferRequest, user: AgentDep, state: StateDep
) -> Ticket:
    """Move the ticket to another team's queue and/or to one agent."""
    return await state.tickets.transfer(ticket_id, user, body)


@router.post("/{ticket_id}/resolve")
async def resolve(ticket_id: str, body: ResolveRequest, user: AgentDep, state: StateDep) -> Ticket:
    """Close the ticket: the bot answers this contact again (Rasa resumed)."""
    return await state.tickets.resolve(ticket_id, user, body)


@router.post("/{ticket_id}/reopen")
async def reopen(ticket_id: str, body: ReopenRequest, user: AgentDep, state: StateDep) -> Ticket:
    """Reopen a resolved ticket: back to the queue, the bot goes silent again."""
    return await state.tickets.reopen(ticket_id, user, body)


@router.get("/{ticket_id}/canned/{canned_id}")
async def preview_canned(
    ticket_id: str, canned_id: str, user: AgentDep, state: StateDep
) -> CannedRendered:
    """A canned reply with the placeholders filled in for this ticket."""
    ticket = await state.tickets.get(ticket_id)
    reply = await state.canned.get(canned_id)
    return CannedRendered(id=reply.id, text=render(reply.text, ticket, user))
