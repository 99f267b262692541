"""Supervisor routes: counters, audit trail, lead export, delivery status."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import AwareDatetime

from handoff.api.deps import AdminDep, StateDep, SupervisorDep
from handoff.api.routing import HandoffRoute
from handoff.crm import leads_csv
from handoff.models import AuditEntry, OutboxStatus, StatsResponse
from handoff.outbox import KINDS
from handoff.reports import lead_tickets, stats

router = APIRouter(prefix="/api/staff", tags=["staff reports"], route_class=HandoffRoute)


@router.get("/stats")
async def get_stats(user: SupervisorDep, state: StateDep) -> StatsResponse:
    """Created, resolved, SLA breaches and escalations, in total and per team."""
    return await stats(state.store, state.teams)


@router.get("/audit")
async def get_audit(
    user: SupervisorDep,
    state: StateDep,
    ticket_id: str | None = None,
    count: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[AuditEntry]:
    """The append-only audit trail (who did what, when), oldest first."""
    return await state.store.audit(ticket_id, count)


@router.get("/leads.csv", response_class=Response, responses={200: {"content": {"text/csv": {}}}})
async def export_leads(
    user: SupervisorDep,
    state: StateDep,
    since: AwareDatetime | None = None,
    until: AwareDatetime | None = None,
) -> Response:
    """CSV of qualified leads (one row per ticket)."""
    body = leads_csv(await lead_tickets(state.store, since, until))
    headers = {"Content-Disposition": 'attachment; filename="leads.csv"'}
    return Response(body, media_type="text/csv; charset=utf-8", headers=headers)


@router.get("/outbox")
async def outbox_status(user: AdminDep, state: StateDep) -> list[OutboxStatus]:
    """Deliveries (CRM webhooks, Rasa resume, notices) waiting or dead."""
    rows = []
    for kind in KINDS:
        dead = await state.outbox.dead(kind)
        rows.append(
            OutboxStatus(
                kind=kind,
                pending=await state.outbox.pending(kind),
                dead=len(dead),
                last_errors=[job.last_error or "" for job in dead[:5]],
            )
        )
    return rows
