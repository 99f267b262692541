"""CRM webhooks (HMAC-signed, retried with backoff, dead-lettered) and the CSV lead export."""

from __future__ import annotations

import asyncio
import csv
import io
import json

from handoff.crm import SIGNATURE_HEADER, TIMESTAMP_HEADER, verify
from handoff.models import Role
from tests.handoff.conftest import CRM_SECRET, Handoff
from tests.handoff.factories import ticket_body
from tests.handoff.peers import Recorder

LEAD = {"lead_type": "buy", "area": "Navigli", "budget_max": 350000, "rooms": 3}


async def eventually(predicate, timeout: float = 10.0) -> None:  # type: ignore[no-untyped-def]
    for _ in range(int(timeout / 0.05)):
        if await predicate() if asyncio.iscoroutinefunction(predicate) else predicate():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("condition not met in time")


async def test_qualified_lead_webhook_is_signed(handoff: Handoff, recorder: Recorder) -> None:
    async with handoff.service() as service:
        created = await service.post(
            "/api/handoff/tickets", json=ticket_body(reason="qualified_lead", lead=LEAD)
        )
    await eventually(lambda: len(recorder.crm) == 1)
    headers, body = recorder.crm[0]
    assert headers["x-wabot-event"] == "qualified_lead"
    assert verify(
        CRM_SECRET,
        headers[TIMESTAMP_HEADER.lower()],
        body.decode(),
        headers[SIGNATURE_HEADER.lower()],
    )
    assert not verify(
        "other-secret",
        headers[TIMESTAMP_HEADER.lower()],
        body.decode(),
        headers[SIGNATURE_HEADER.lower()],
    )
    event = json.loads(body)
    assert event["ticket"]["id"] == created.json()["ticket_id"]
    assert event["lead"]["budget_max"] == 350000 and event["contact"]["name"] == "Mario Rossi"
    assert event["delivery_id"] == headers["x-wabot-delivery"]


async def test_failed_deliveries_are_retried_with_backoff(
    handoff: Handoff, recorder: Recorder
) -> None:
    recorder.fail["crm"] = [500, 503, 502, 500]  # first burst of 3 tries, then 1 rescheduled try
    async with handoff.service() as service:
        await service.post(
            "/api/handoff/tickets", json=ticket_body(reason="qualified_lead", lead=LEAD)
        )
    await eventually(lambda: len(recorder.crm) == 1)
    assert recorder.fail["crm"] == []
    assert await handoff.state.outbox.pending("crm") == 0


async def test_refused_deliveries_are_dead_lettered(handoff: Handoff, recorder: Recorder) -> None:
    recorder.fail["crm"] = [400]
    async with handoff.service() as service:
        await service.post(
            "/api/handoff/tickets", json=ticket_body(reason="qualified_lead", lead=LEAD)
        )

    async def dead() -> bool:
        return len(await handoff.state.outbox.dead("crm")) == 1

    await eventually(dead)
    admin = await handoff.staff("root", Role.admin)
    async with admin:
        rows = {row["kind"]: row for row in (await admin.get("/api/staff/outbox")).json()}
    assert rows["crm"]["dead"] == 1 and "400" in rows["crm"]["last_errors"][0]
    assert recorder.crm == []


async def test_resolved_ticket_webhook(handoff: Handoff, recorder: Recorder) -> None:
    async with handoff.service() as service:
        created = await service.post("/api/handoff/tickets", json=ticket_body())
    supervisor = await handoff.staff("sara", Role.supervisor)
    async with supervisor:
        ticket_id = created.json()["ticket_id"]
        assert (
            await supervisor.post(f"/api/staff/tickets/{ticket_id}/resolve", json={})
        ).status_code == 200
    await eventually(lambda: len(recorder.crm) == 1)
    event = json.loads(recorder.crm[0][1])
    assert event["event"] == "ticket.resolved" and event["ticket"]["status"] == "resolved"


async def test_leads_csv_export(handoff: Handoff) -> None:
    async with handoff.service() as service:
        await service.post(
            "/api/handoff/tickets", json=ticket_body(reason="qualified_lead", lead=LEAD)
        )
        evil = ticket_body(reason="qualified_lead", lead={"lead_type": "rent", "area": "Isola"})
        evil["contact"]["name"] = '=HYPERLINK("http://x")'
        await service.post("/api/handoff/tickets", json=evil)
        await service.post("/api/handoff/tickets", json=ticket_body())  # not a lead
        later = ticket_body(
            reason="qualified_lead", lead=LEAD, opened_at=_at("2026-04-01T10:00:00+02:00")
        )
        await service.post("/api/handoff/tickets", json=later)
    supervisor = await handoff.staff("sara", Role.supervisor)
    async with supervisor:
        response = await supervisor.get(
            "/api/staff/leads.csv", params={"until": "2026-03-31T00:00:00+02:00"}
        )
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert len(rows) == 2
    assert rows[0]["area"] == "Navigli" and rows[0]["budget_max"] == "350000"
    assert rows[0]["contact_phone_whatsapp"].startswith("+39")
    assert rows[1]["whatsapp_name"].startswith("'="), "formula cells are neutralised"


def _at(text: str):  # type: ignore[no-untyped-def]
    from datetime import datetime

    return datetime.fromisoformat(text)
