"""Canned replies: seeded defaults, placeholders, reply by id, supervisor edits."""

from __future__ import annotations

from handoff.models import Role
from tests.handoff.conftest import Handoff
from tests.handoff.factories import ticket_body
from tests.handoff.peers import Recorder


async def _claimed_ticket(handoff: Handoff, agent, **body) -> str:  # type: ignore[no-untyped-def]
    async with handoff.service() as service:
        created = await service.post("/api/handoff/tickets", json=ticket_body(**body))
    ticket_id = created.json()["ticket_id"]
    assert (await agent.post(f"/api/staff/tickets/{ticket_id}/claim")).status_code == 200
    return str(ticket_id)


async def test_placeholders_are_filled_for_the_ticket(handoff: Handoff, recorder: Recorder) -> None:
    agent = await handoff.staff("giulia", Role.agent, display_name="Giulia")
    async with agent:
        replies = (await agent.get("/api/staff/canned", params={"language": "it"})).json()
        assert {"greeting_it", "viewing_it"} <= {r["id"] for r in replies}
        assert all(r["language"] in ("it", None) for r in replies)

        ticket_id = await _claimed_ticket(
            handoff, agent, reason="qualified_lead", lead={"lead_type": "buy", "area": "Isola"}
        )
        preview = await agent.get(f"/api/staff/tickets/{ticket_id}/canned/greeting_it")
        assert preview.json()["text"].startswith("Ciao Mario, sono Giulia di Casa Navigli")
        viewing = await agent.get(f"/api/staff/tickets/{ticket_id}/canned/viewing_it")
        assert viewing.json()["text"].startswith("Per la zona Isola abbiamo")

        sent = await agent.post(
            f"/api/staff/tickets/{ticket_id}/reply", json={"canned_id": "closing_it"}
        )
        assert sent.status_code == 200
        assert (
            recorder.outbound[-1]["text"]
            == "Grazie Mario! Se ti serve altro scrivi pure qui. A presto, Giulia."
        )


async def test_missing_name_is_dropped_cleanly(handoff: Handoff) -> None:
    agent = await handoff.staff("pia", Role.agent)
    async with agent:
        body = ticket_body()
        body["contact"]["name"] = None
        async with handoff.service() as service:
            ticket_id = (await service.post("/api/handoff/tickets", json=body)).json()["ticket_id"]
        preview = await agent.get(f"/api/staff/tickets/{ticket_id}/canned/greeting_it")
    assert preview.json()["text"].startswith("Ciao, sono pia di Casa Navigli")


async def test_supervisor_edits_and_placeholders_are_checked(handoff: Handoff) -> None:
    supervisor = await handoff.staff("sara", Role.supervisor)
    async with supervisor:
        good = {"id": "sorry_it", "title": "Scuse", "language": "it", "text": "Ci scusiamo {name}."}
        assert (await supervisor.put("/api/staff/canned/sorry_it", json=good)).status_code == 200
        bad = dict(good, text="Ciao {nome} {agent.__class__}")
        refused = await supervisor.put("/api/staff/canned/sorry_it", json=bad)
        assert refused.status_code == 422 and "nome" in refused.json()["detail"]
        mismatch = await supervisor.put("/api/staff/canned/other", json=good)
        assert mismatch.status_code == 422
        assert (await supervisor.delete("/api/staff/canned/sorry_it")).status_code == 204
        assert (await supervisor.delete("/api/staff/canned/sorry_it")).status_code == 404
