"""Retention: transcripts trimmed and resolved tickets erased after BOT_RETENTION_DAYS.

The hub's GDPR service talks to the handoff API of the same in-process app over HTTP (an
ASGI transport: our own component, not a stand-in).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
from fastapi import FastAPI
from redis.asyncio import Redis

from bot.clients.handoff import HandoffClient
from bot.gdpr import ContactData
from tests.handoff.factories import ticket_body
from tests.security.conftest import ADMIN, HubFactory, bearer

SERVICE = {"Authorization": "Bearer dev-service-token"}


def _service(app: FastAPI, http: httpx.AsyncClient) -> ContactData:
    state = app.state
    handoff = HandoffClient(http, "http://hub.test", "dev-service-token")
    return ContactData(redis=state.redis, keys=state.keys, settings=state.settings,
                       handoff=handoff)


async def _resolved_ticket(http: httpx.AsyncClient, phone: str) -> str:
    body = ticket_body(phone, opened_at=datetime.now(tz=UTC))  # resolved today, on the real clock
    opened = await http.post("/api/handoff/tickets", json=body, headers=SERVICE)
    assert opened.status_code == 201, opened.text
    ticket_id = str(opened.json()["ticket_id"])
    admin = await bearer(http, ADMIN)
    assert (await http.post(f"/api/staff/tickets/{ticket_id}/claim",
                            headers=admin)).status_code == 200
    resolved = await http.post(f"/api/staff/tickets/{ticket_id}/resolve", headers=admin,
                               json={"notify_customer": False})
    assert resolved.status_code == 200, resolved.text
    return ticket_id


async def test_retention_trims_old_transcripts_and_erases_old_resolved_tickets(
    hub: HubFactory, redis: Redis
) -> None:
    async with hub(retention_days=30) as (app, http):
        keys, contact = app.state.keys, "393339990001"
        transcript = keys.transcript(contact)
        old = int((datetime.now(tz=UTC) - timedelta(days=31)).timestamp() * 1000)
        await redis.xadd(transcript, {"role": "customer", "text": "old"}, id=f"{old}-0")
        await redis.xadd(transcript, {"role": "customer", "text": "recent"})
        await redis.sadd(keys.contacts(), contact)
        ticket_id = await _resolved_ticket(http, f"+{contact}")
        gdpr = _service(app, http)

        today = await gdpr.apply_retention()
        assert today.transcript_entries == 1 and today.tickets == 0
        assert [f["text"] for _, f in await redis.xrange(transcript)] == ["recent"]
        assert (await http.get(f"/api/handoff/tickets/{ticket_id}", headers=SERVICE)).is_success

        later = await gdpr.apply_retention(now=datetime.now(tz=UTC) + timedelta(days=31))
        assert later.transcript_entries == 1 and later.tickets == 1 and later.audit_entries >= 3
        assert await redis.xlen(transcript) == 0
        gone = await http.get(f"/api/handoff/tickets/{ticket_id}", headers=SERVICE)
        assert gone.status_code == 404


async def test_open_tickets_are_never_expired(hub: HubFactory) -> None:
    async with hub(retention_days=1) as (app, http):
        opened = await http.post("/api/handoff/tickets", json=ticket_body(), headers=SERVICE)
        later = await _service(app, http).apply_retention(
            now=datetime.now(tz=UTC) + timedelta(days=400))
        assert later.tickets == 0
        ticket = await http.get(f"/api/handoff/tickets/{opened.json()['ticket_id']}",
                                headers=SERVICE)
        assert ticket.status_code == 200
