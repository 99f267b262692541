"""CRM handover: HMAC-signed webhooks on ``qualified_lead`` / ``ticket.resolved``, CSV export.

Each POST carries ``X-Wabot-Event``, ``X-Wabot-Delivery``, ``X-Wabot-Timestamp`` and
``X-Wabot-Signature-256: sha256=<hex>``, the HMAC-SHA256 with the webhook's secret of
``"<timestamp>.<raw body>"``. Receivers recompute it and compare in constant time.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import secrets
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Literal

import httpx
from pydantic import AwareDatetime, BaseModel, ConfigDict

from handoff.clients import DeliveryError
from handoff.config import CrmWebhook
from handoff.errors import UpstreamError
from handoff.models import Contact, LeadSlots, Priority, Reason, SummaryFact, Ticket, TicketStatus
from handoff.outbox import CrmJob, Outbox, OutboxJob

CrmEventName = Literal["qualified_lead", "ticket.resolved"]
SIGNATURE_HEADER = "X-Wabot-Signature-256"
TIMESTAMP_HEADER = "X-Wabot-Timestamp"


class CrmTicket(BaseModel):
    """The ticket fields a CRM needs."""

    model_config = ConfigDict(extra="forbid")

    id: str
    status: TicketStatus
    team: str
    priority: Priority
    reason: Reason
    reasons: list[Reason]
    assignee: str | None
    created_at: AwareDatetime
    resolved_at: AwareDatetime | None
    sla_deadline: AwareDatetime
    sla_breached: bool


class CrmEvent(BaseModel):
    """Body of a CRM webhook."""

    model_config = ConfigDict(extra="forbid")

    event: CrmEventName
    delivery_id: str
    occurred_at: AwareDatetime
    ticket: CrmTicket
    contact: Contact
    lead: LeadSlots
    facts: list[SummaryFact]
    summary: str


def build_event(event: CrmEventName, ticket: Ticket, delivery_id: str) -> CrmEvent:
    """The webhook body for one ticket."""
    return CrmEvent(
        event=event,
        delivery_id=delivery_id,
        occurred_at=datetime.now(UTC),
        ticket=CrmTicket.model_validate(ticket.model_dump(include=set(CrmTicket.model_fields))),
        contact=ticket.contact,
        lead=ticket.summary.lead,
        facts=ticket.summary.facts,
        summary=ticket.summary.text,
    )


def sign(secret: str, timestamp: str, body: str) -> str:
    """``sha256=<hex>`` of HMAC-SHA256(secret, "<timestamp>.<body>")."""
    mac = hmac.new(secret.encode(), f"{timestamp}.{body}".encode(), hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def verify(secret: str, timestamp: str, body: str, signature: str) -> bool:
    """Receiver side check (also used by the tests)."""
    return hmac.compare_digest(sign(secret, timestamp, body), signature)


class CrmNotifier:
    """Queues signed webhook deliveries for the configured CRM endpoints."""

    def __init__(self, outbox: Outbox, webhooks: list[CrmWebhook]) -> None:
        self.outbox = outbox
        self.webhooks = webhooks

    async def notify(self, event: CrmEventName, ticket: Ticket) -> int:
        """Queue one delivery per webhook subscribed to ``event``; returns how many."""
        queued = 0
        for hook in self.webhooks:
            if event not in hook.events:
                continue
            delivery_id = secrets.token_hex(12)
            body = build_event(event, ticket, delivery_id).model_dump_json()
            job = CrmJob(url=str(hook.url), event=event, delivery_id=delivery_id, body=body)
            await self.outbox.put(OutboxJob(kind="crm", crm=job))
            queued += 1
        return queued


class CrmDeliverer:
    """Posts one queued webhook (the outbox retries it with backoff)."""

    def __init__(self, http: httpx.AsyncClient, webhooks: list[CrmWebhook]) -> None:
        self.http = http
        self.secrets = {str(hook.url): hook.secret.get_secret_value() for hook in webhooks}

    async def __call__(self, job: OutboxJob) -> None:
        """Deliver; 2xx is done, 429/5xx/network errors are retried, other 4xx give up."""
        if job.crm is None:
            raise UpstreamError(f"outbox job {job.id} has no CRM payload")
        crm = job.crm
        secret = self.secrets.get(crm.url)
        if secret is None:
            raise UpstreamError(f"CRM webhook {crm.url} is no longer configured; job dropped")
        timestamp = str(int(datetime.now(UTC).timestamp()))
        headers = {
            "Content-Type": "application/json",
            "X-Wabot-Event": crm.event,
            "X-Wabot-Delivery": crm.delivery_id,
            TIMESTAMP_HEADER: timestamp,
            SIGNATURE_HEADER: sign(secret, timestamp, crm.body),
        }
        try:
            response = await self.http.post(crm.url, content=crm.body.encode(), headers=headers)
        except httpx.HTTPError as exc:
            raise DeliveryError(f"CRM webhook {crm.url} unreachable: {exc!r}") from exc
        if response.status_code == 429 or response.status_code >= 500:
            raise DeliveryError(f"CRM webhook {crm.url} answered {response.status_code}")
        if response.status_code >= 300:
            raise UpstreamError(f"CRM webhook {crm.url} refused: {response.status_code}")


# --- CSV export -------------------------------------------------------------------------

CSV_COLUMNS = (
    "ticket_id",
    "created_at",
    "status",
    "team",
    "assignee",
    "contact_phone_whatsapp",
    "whatsapp_name",
    "language",
    "lead_type",
    "area",
    "budget_max",
    "surface_min",
    "rooms",
    "timeframe",
    "contact_name",
    "contact_phone",
    "contact_email",
)


def leads_csv(tickets: Iterable[Ticket]) -> str:
    """One row per lead ticket; cells that a spreadsheet would run as formulas are quoted."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for ticket in tickets:
        wants = ticket.summary.lead
        row = [
            ticket.id,
            ticket.created_at.isoformat(),
            ticket.status.value,
            ticket.team,
            ticket.assignee,
            ticket.contact.phone,
            ticket.contact.name,
            ticket.contact.language.value,
            *(getattr(wants, column) for column in CSV_COLUMNS[8:]),
        ]
        writer.writerow([_safe_cell(value) for value in row])
    return buffer.getvalue()


def _safe_cell(value: object) -> str:
    text = "" if value is None else str(value)
    if text[:1] in ("=", "+", "-", "@", "\t", "\r") and not _is_number(text):
        return "'" + text
    return text


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
