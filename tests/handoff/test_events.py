"""Server-sent events of queue changes, resumable with Last-Event-ID."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import httpx

from handoff.models import Role
from tests.handoff.conftest import Handoff
from tests.handoff.factories import ticket_body


async def read_events(response: httpx.Response, count: int) -> list[dict[str, str]]:
    """Parse ``count`` SSE events (comments skipped)."""
    events: list[dict[str, str]] = []
    current: dict[str, str] = {}
    lines: AsyncIterator[str] = response.aiter_lines()
    async with asyncio.timeout(10):
        async for line in lines:
            if not line:
                if "data" in current:
                    events.append(current)
                    if len(events) == count:
                        return events
                current = {}
                continue
            if line.startswith(":"):
                continue
            field, _, value = line.partition(":")
            current[field] = value.removeprefix(" ")
    return events


async def test_queue_changes_stream_and_resume(handoff: Handoff) -> None:
    agent = await handoff.staff("lia", Role.agent)
    async with agent, handoff.service() as service:
        async with agent.stream("GET", "/api/staff/events") as stream:
            assert stream.status_code == 200
            assert stream.headers["content-type"].startswith("text/event-stream")
            created = await service.post("/api/handoff/tickets", json=ticket_body())
            ticket_id = created.json()["ticket_id"]
            first = (await read_events(stream, 1))[0]
        assert first["event"] == "ticket.created"
        payload = json.loads(first["data"])
        assert payload["ticket_id"] == ticket_id and payload["status"] == "queued"

        # while disconnected: a claim and a note happen
        await agent.post(f"/api/staff/tickets/{ticket_id}/claim")
        await agent.post(f"/api/staff/tickets/{ticket_id}/notes", json={"text": "chiamare"})

        headers = {"Last-Event-ID": first["id"]}
        async with agent.stream("GET", "/api/staff/events", headers=headers) as stream:
            missed = await read_events(stream, 2)
        assert [e["event"] for e in missed] == ["ticket.claimed", "ticket.note"]
        assert json.loads(missed[0]["data"])["assignee"] == "lia"
        assert stream_id(missed[0]["id"]) > stream_id(first["id"])


def stream_id(value: str) -> tuple[int, int]:
    millis, sequence = value.split("-")
    return int(millis), int(sequence)


async def test_team_filter(handoff: Handoff) -> None:
    agent = await handoff.staff("max", Role.agent)
    async with agent, handoff.service() as service:
        async with agent.stream("GET", "/api/staff/events", params={"team": "rentals"}) as stream:
            await service.post("/api/handoff/tickets", json=ticket_body(team="sales"))
            rental = await service.post("/api/handoff/tickets", json=ticket_body(team="rentals"))
            event = (await read_events(stream, 1))[0]
    assert json.loads(event["data"])["ticket_id"] == rental.json()["ticket_id"]


async def test_editor_cannot_listen(handoff: Handoff) -> None:
    editor = await handoff.staff("ed", Role.editor)
    async with editor:
        assert (await editor.get("/api/staff/events")).status_code == 403
