"""Routes for the action server and the hub (service token): open tickets, the gate."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from handoff.api.deps import ServiceDep, StateDep
from handoff.api.routing import HandoffRoute
from handoff.models import (
    ContactErased,
    ContactExport,
    CustomerMessageAccepted,
    CustomerMessageIn,
    GateState,
    Phone,
    RetentionRequest,
    Ticket,
    TicketCreate,
    TicketCreated,
)

router = APIRouter(
    prefix="/api/handoff",
    tags=["handoff (service)"],
    dependencies=[ServiceDep],
    route_class=HandoffRoute,
)


@router.post(
    "/tickets",
    status_code=status.HTTP_201_CREATED,
    responses={200: {"model": TicketCreated, "description": "merged into the open ticket"}},
)
async def open_ticket(request: TicketCreate, state: StateDep, response: Response) -> TicketCreated:
    """Open a ticket (201) or add the reason to the contact's open ticket (200); closes the gate."""
    created, is_new = await state.tickets.open(request)
    if not is_new:
        response.status_code = status.HTTP_200_OK
    return created


@router.get("/tickets/{ticket_id}")
async def get_ticket(ticket_id: str, state: StateDep) -> Ticket:
    """One ticket with its summary (used by the simulator and GDPR export)."""
    return await state.tickets.get(ticket_id)


@router.get("/conversations/{phone}/gate")
async def get_gate(phone: Phone, state: StateDep) -> GateState:
    """``human`` while the contact has an open ticket: the bot must stay silent."""
    return await state.tickets.gate(phone)


@router.get("/conversations/{phone}/tickets")
async def contact_tickets(phone: Phone, state: StateDep) -> list[Ticket]:
    """Every ticket of the contact, newest first (simulator checks, GDPR export)."""
    return await state.tickets.of_contact(phone)


@router.delete("/conversations/{phone}")
async def erase_contact(
    phone: Phone,
    state: StateDep,
    actor: Annotated[str, Query(max_length=64, pattern=r"^[\w.:@-]+$")] = "service",
) -> ContactErased:
    """GDPR erasure of the contact's tickets and audit entries (the gate opens)."""
    tickets, audit = await state.store.erase_contact(phone, actor)
    return ContactErased(tickets=tickets, audit_entries=audit)


@router.get("/conversations/{phone}/export")
async def export_contact(phone: Phone, state: StateDep) -> ContactExport:
    """GDPR export: the contact's tickets (summaries, transcripts, history) and audit entries."""
    return ContactExport(
        phone=phone,
        tickets=await state.tickets.of_contact(phone),
        audit=await state.store.contact_audit(phone),
    )


@router.post("/retention")
async def apply_retention(request: RetentionRequest, state: StateDep) -> ContactErased:
    """Erase tickets resolved before the cutoff, with their audit entries (retention)."""
    tickets, audit = await state.store.erase_resolved_before(request.resolved_before, "retention")
    return ContactErased(tickets=tickets, audit_entries=audit)


@router.post("/conversations/{phone}/messages", status_code=status.HTTP_202_ACCEPTED)
async def add_customer_message(
    phone: Phone, message: CustomerMessageIn, state: StateDep
) -> CustomerMessageAccepted:
    """Append a customer message to the open ticket (404 when there is none)."""
    return await state.tickets.customer_message(phone, message)
