"""The whole ticket life through HTTP: open, gate, customer messages, claim, reply, resolve."""

from __future__ import annotations

import asyncio

from handoff.models import Role
from tests.handoff.conftest import Handoff
from tests.handoff.factories import new_phone, ticket_body
from tests.handoff.peers import Recorder


async def wait_for(predicate, timeout: float = 5.0) -> None:  # type: ignore[no-untyped-def]
    for _ in range(int(timeout / 0.02)):
        if predicate():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("condition not met in time")


async def test_full_ticket_life(handoff: Handoff, recorder: Recorder) -> None:
    phone = new_phone()
    async with handoff.service() as service:
        gate = await service.get(f"/api/handoff/conversations/{phone}/gate")
        assert gate.json() == {"mode": "bot", "ticket_id": None}

        created = await service.post("/api/handoff/tickets", json=ticket_body(phone))
        assert created.status_code == 201, created.text
        answer = created.json()
        assert answer["team"] == "support" and answer["priority"] == "normal"
        assert answer["status"] == "queued"
        assert answer["is_open_now"] is True
        assert answer["sla_deadline"] == "2026-03-02T11:15:00+01:00"
        assert answer["staff_reply_from"] == "2026-03-02T10:15:00+01:00"
        ticket_id = answer["ticket_id"]

        gate = await service.get(f"/api/handoff/conversations/{phone}/gate")
        assert gate.json() == {"mode": "human", "ticket_id": ticket_id}

        message = {"text": "ci siete?", "wamid": "wamid.A1", "ts": "2026-03-02T10:20:00+01:00"}
        added = await service.post(f"/api/handoff/conversations/{phone}/messages", json=message)
        assert added.status_code == 202, added.text
        again = await service.post(f"/api/handoff/conversations/{phone}/messages", json=message)
        assert again.json()["duplicate"] is True

    agent = await handoff.staff("giulia", Role.agent, teams=["support"], display_name="Giulia")
    async with agent:
        queue = (await agent.get("/api/staff/tickets", params={"status": "queued"})).json()
        assert [t["id"] for t in queue["tickets"]] == [ticket_id]

        early = await agent.post(f"/api/staff/tickets/{ticket_id}/reply", json={"text": "Ciao"})
        assert early.status_code == 409 and "claim" in early.json()["detail"]

        claimed = await agent.post(f"/api/staff/tickets/{ticket_id}/claim")
        assert claimed.status_code == 200, claimed.text
        assert claimed.json()["assignee"] == "giulia" and claimed.json()["status"] == "assigned"

        reply = await agent.post(
            f"/api/staff/tickets/{ticket_id}/reply", json={"text": "Buongiorno, sono Giulia"}
        )
        assert reply.status_code == 200, reply.text
        assert recorder.outbound[-1] == {
            "to": phone,
            "text": "Buongiorno, sono Giulia",
            "origin": "agent",
            "agent_id": "giulia",
            "ticket_id": ticket_id,
            "idempotency_key": recorder.outbound[-1]["idempotency_key"],
        }
        assert reply.json()["ticket"]["status"] == "waiting_customer"

        note = await agent.post(f"/api/staff/tickets/{ticket_id}/notes", json={"text": "VIP"})
        assert note.json()["notes"][0]["author"] == "giulia"

        resolved = await agent.post(f"/api/staff/tickets/{ticket_id}/resolve", json={})
        assert resolved.status_code == 200, resolved.text
        assert resolved.json()["status"] == "resolved"

    resume = [{"event": "resume"}, {"event": "action", "name": "action_listen"}]
    assert recorder.rasa_events == [(phone.lstrip("+"), resume)]
    notice = recorder.outbound[-1]
    assert notice["origin"] == "system" and "chiusa" in notice["text"]

    async with handoff.service() as service:
        gate = await service.get(f"/api/handoff/conversations/{phone}/gate")
        assert gate.json() == {"mode": "bot", "ticket_id": None}
        late = {"text": "grazie", "wamid": "wamid.A2", "ts": "2026-03-02T11:00:00+01:00"}
        missing = await service.post(f"/api/handoff/conversations/{phone}/messages", json=late)
        assert missing.status_code == 404
        tickets = (await service.get(f"/api/handoff/conversations/{phone}/tickets")).json()
        assert [t["id"] for t in tickets] == [ticket_id]
        events = [h["event"] for h in tickets[0]["history"]]
        assert events == [
            "created",
            "customer_message",
            "claimed",
            "replied",
            "note",
            "resolved",
        ]

    supervisor = await handoff.staff("sara", Role.supervisor)
    async with supervisor:
        reopened = await supervisor.post(f"/api/staff/tickets/{ticket_id}/reopen", json={})
        assert reopened.status_code == 200, reopened.text
        assert reopened.json()["status"] == "queued"
        audit = (await supervisor.get("/api/staff/audit", params={"ticket_id": ticket_id})).json()
        assert [a["event"] for a in audit][-2:] == ["resolved", "reopened"]
        assert {a["actor"] for a in audit} >= {"giulia", "sara", "service"}
    assert recorder.rasa_events[-1] == (phone.lstrip("+"), [{"event": "pause"}])
    async with handoff.service() as service:
        gate = await service.get(f"/api/handoff/conversations/{phone}/gate")
        assert gate.json()["mode"] == "human"


async def test_second_trigger_joins_the_open_ticket(handoff: Handoff) -> None:
    phone = new_phone()
    async with handoff.service() as service:
        first = await service.post("/api/handoff/tickets", json=ticket_body(phone))
        second = await service.post(
            "/api/handoff/tickets",
            json=ticket_body(phone, reason="complaint", messages=["pessimo servizio"]),
        )
        assert first.status_code == 201 and second.status_code == 200
        assert first.json()["ticket_id"] == second.json()["ticket_id"]
        assert second.json()["priority"] == "high"
        ticket = (await service.get(f"/api/handoff/tickets/{first.json()['ticket_id']}")).json()
        assert ticket["reasons"] == ["human_requested", "complaint"]
        assert [h["event"] for h in ticket["history"]] == ["created", "reason_added"]


async def test_routing_priority_and_out_of_hours(handoff: Handoff) -> None:
    async with handoff.service() as service:
        lead = {"lead_type": "rent", "area": "Isola", "budget_max": 1200}
        rent = await service.post(
            "/api/handoff/tickets", json=ticket_body(reason="qualified_lead", lead=lead)
        )
        assert rent.json()["team"] == "rentals"
        complaint = await service.post(
            "/api/handoff/tickets",
            json=ticket_body(reason="complaint", opened_at=_at("2026-03-06T18:10:00+01:00")),
        )
        body = complaint.json()
        assert body["team"] == "support" and body["priority"] == "high"
        assert body["is_open_now"] is True
        assert body["sla_deadline"] == "2026-03-07T09:40:00+01:00"
        night = await service.post(
            "/api/handoff/tickets", json=ticket_body(opened_at=_at("2026-03-07T22:00:00+01:00"))
        )
        assert night.json()["is_open_now"] is False
        assert night.json()["staff_reply_from"] == "2026-03-09T09:00:00+01:00"
        unknown = await service.post("/api/handoff/tickets", json=ticket_body(team="marketing"))
        assert unknown.status_code == 422 and "known teams" in unknown.json()["detail"]


async def test_service_routes_need_the_service_token(handoff: Handoff) -> None:
    async with handoff.service() as service:
        service.headers["Authorization"] = "Bearer wrong"
        refused = await service.post("/api/handoff/tickets", json=ticket_body())
        assert refused.status_code == 401
        del service.headers["Authorization"]
        assert (await service.get("/api/handoff/conversations/+393331/gate")).status_code == 401


async def test_reply_failure_at_the_hub_is_reported(handoff: Handoff, recorder: Recorder) -> None:
    async with handoff.service() as service:
        ticket_id = (await service.post("/api/handoff/tickets", json=ticket_body())).json()[
            "ticket_id"
        ]
    agent = await handoff.staff("ugo", Role.agent)
    async with agent:
        await agent.post(f"/api/staff/tickets/{ticket_id}/claim")
        recorder.fail["outbound"] = [400]
        refused = await agent.post(f"/api/staff/tickets/{ticket_id}/reply", json={"text": "x"})
        assert refused.status_code == 502
        recorder.fail["outbound"] = [503, 503, 503]
        down = await agent.post(f"/api/staff/tickets/{ticket_id}/reply", json={"text": "x"})
        assert down.status_code == 502 and "try again" in down.json()["detail"]
        ticket = (await agent.get(f"/api/staff/tickets/{ticket_id}")).json()
        assert ticket["first_response_at"] is None


def _at(text: str):  # type: ignore[no-untyped-def]
    from datetime import datetime

    return datetime.fromisoformat(text)


async def test_customer_message_moves_ticket_back_to_the_agent(handoff: Handoff) -> None:
    phone = new_phone()
    async with handoff.service() as service:
        created = await service.post("/api/handoff/tickets", json=ticket_body(phone))
        ticket_id = created.json()["ticket_id"]
        agent = await handoff.staff("ivo", Role.agent)
        async with agent:
            await agent.post(f"/api/staff/tickets/{ticket_id}/claim")
            await agent.post(f"/api/staff/tickets/{ticket_id}/reply", json={"text": "mi dica"})
            waiting = (await agent.get(f"/api/staff/tickets/{ticket_id}")).json()
            assert waiting["status"] == "waiting_customer"
            message = {
                "text": "la mia email è ivo.cliente@example.com",
                "wamid": "wamid.B1",
                "ts": "2026-03-02T10:30:00+01:00",
            }
            await service.post(f"/api/handoff/conversations/{phone}/messages", json=message)
            ticket = (await agent.get(f"/api/staff/tickets/{ticket_id}")).json()
    assert ticket["status"] == "assigned"
    assert ticket["transcript"][-1]["text"] == message["text"]
    email = [f for f in ticket["summary"]["facts"] if f["key"] == "contact_email"]
    assert email and email[0]["value"] == "ivo.cliente@example.com", "summary refreshed"
    assert email[0]["source"]["message_index"] == len(ticket["transcript"]) - 1


async def test_reopen_refused_while_the_contact_has_another_open_ticket(handoff: Handoff) -> None:
    phone = new_phone()
    supervisor = await handoff.staff("sara", Role.supervisor)
    async with handoff.service() as service, supervisor:
        first = (await service.post("/api/handoff/tickets", json=ticket_body(phone))).json()
        await supervisor.post(f"/api/staff/tickets/{first['ticket_id']}/resolve", json={})
        second = (await service.post("/api/handoff/tickets", json=ticket_body(phone))).json()
        assert second["ticket_id"] != first["ticket_id"]
        refused = await supervisor.post(f"/api/staff/tickets/{first['ticket_id']}/reopen", json={})
        assert refused.status_code == 409 and second["ticket_id"] in refused.json()["detail"]
        tickets = (await service.get(f"/api/handoff/conversations/{phone}/tickets")).json()
        assert [t["id"] for t in tickets] == [second["ticket_id"], first["ticket_id"]]


async def test_gdpr_erasure_of_a_contact(handoff: Handoff) -> None:
    phone, other = new_phone(), new_phone()
    async with handoff.service() as service:
        for _ in range(2):
            created = await service.post("/api/handoff/tickets", json=ticket_body(phone))
            supervisor = await handoff.staff(
                f"sup{created.json()['ticket_id'][-2:]}", Role.supervisor
            )
            async with supervisor:
                await supervisor.post(
                    f"/api/staff/tickets/{created.json()['ticket_id']}/resolve", json={}
                )
        await service.post("/api/handoff/tickets", json=ticket_body(phone))
        kept = (await service.post("/api/handoff/tickets", json=ticket_body(other))).json()
        erased = await service.delete(f"/api/handoff/conversations/{phone}")
        assert erased.status_code == 200
        assert erased.json() == {"tickets": 3, "audit_entries": 3 + 2}
        assert (await service.get(f"/api/handoff/conversations/{phone}/tickets")).json() == []
        assert (await service.get(f"/api/handoff/conversations/{phone}/gate")).json()[
            "mode"
        ] == "bot"
    audit = await handoff.state.store.audit(count=100)
    assert {a.ticket_id for a in audit} == {kept["ticket_id"], "-"}
    assert audit[-1].event == "erased" and audit[-1].detail == {"tickets": 3, "audit_entries": 5}
    assert await handoff.state.redis.zcard(handoff.state.keys.tickets_all()) == 1


async def test_supervisor_reply_takes_an_unassigned_ticket(
    handoff: Handoff, recorder: Recorder
) -> None:
    async with handoff.service() as service:
        ticket_id = (await service.post("/api/handoff/tickets", json=ticket_body())).json()[
            "ticket_id"
        ]
    supervisor = await handoff.staff("sara", Role.supervisor, display_name="Sara")
    async with supervisor:
        reply = await supervisor.post(
            f"/api/staff/tickets/{ticket_id}/reply", json={"text": "Eccomi"}
        )
    assert reply.status_code == 200, reply.text
    ticket = reply.json()["ticket"]
    assert ticket["assignee"] == "sara" and ticket["status"] == "waiting_customer"
    assert [h["event"] for h in ticket["history"]][-2:] == ["claimed", "replied"]
    assert recorder.outbound[-1]["agent_id"] == "sara"
