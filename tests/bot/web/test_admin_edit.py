"""Admins edit teams' hours and the template declarations from the pages (live hub, real Redis)."""

from __future__ import annotations

import html
import json
from collections.abc import AsyncIterator
from datetime import datetime

import pytest
from redis.asyncio import Redis

from handoff.models import Role
from tests.bot.web.pages import ADMIN, PageClient, login, new_contact, open_ticket, staff_client
from tests.bot.whatsapp_live import SERVICE, LiveHub, live_hub, until

# Monday 30 November 2026, 10:00 in Milan: inside teams.yml's 09:00-18:30.
MONDAY_10 = "2026-11-30T10:00:00+01:00"
NEW_HOURS = {
    **{f"hours_{day}": "" for day in ("tue", "wed", "thu", "fri", "sat", "sun")},
    "hours_mon": "14:00-16:00, 17:00-18:00",
    "closures": "12-07, 2026-12-24",
    **{f"sla_{p}": "45" for p in ("urgent", "high", "normal", "low")},
    "escalation_minutes": "20",
}


@pytest.fixture
async def hub(redis: Redis, redis_server: str, key_prefix: str) -> AsyncIterator[LiveHub]:
    async with live_hub(redis, redis_server, key_prefix) as running:
        yield running


async def _deadline(admin: PageClient, hub: LiveHub) -> datetime:
    """The SLA deadline of a new support ticket opened on Monday at 10:00."""
    ticket_id = await open_ticket(hub, new_contact(), team="support", opened_at=MONDAY_10)
    ticket = await admin.http.get(f"/api/staff/tickets/{ticket_id}")
    assert ticket.status_code == 200, ticket.text
    return datetime.fromisoformat(ticket.json()["sla_deadline"])


async def _audit(hub: LiveHub, key_prefix: str) -> list[dict[str, str]]:
    rows = await hub.redis.xrange(f"{key_prefix}handoff:audit")
    return [
        {
            k.decode() if isinstance(k, bytes) else k: v.decode() if isinstance(v, bytes) else v
            for k, v in fields.items()
        }
        for _, fields in rows
    ]


async def test_admin_edits_hours_and_new_tickets_follow_them(hub: LiveHub, key_prefix: str) -> None:
    admin = await login(hub, *ADMIN)
    before = await _deadline(admin, hub)
    assert before == datetime.fromisoformat("2026-11-30T11:00:00+01:00"), "teams.yml: 60 min"

    saved = await admin.post_form("/admin/teams/support", NEW_HOURS)
    assert saved.status_code == 303, saved.text
    page = (await admin.http.get("/admin/teams", headers={"Accept-Language": "en"})).text
    assert 'data-overridden="support"' in page and 'data-overridden="sales"' not in page
    assert 'value="14:00-16:00, 17:00-18:00"' in page and "2026-12-24" in page
    after = await _deadline(admin, hub)
    assert after == datetime.fromisoformat("2026-11-30T14:45:00+01:00"), "opens at 14:00, +45"
    stored = json.loads(await hub.redis.get(f"{key_prefix}handoff:team:support:override"))
    assert stored["hours"]["mon"] == ["14:00-16:00", "17:00-18:00"] and stored["hours"]["tue"] == []
    audit = await _audit(hub, key_prefix)
    assert any(
        e["ticket_id"] == "team:support" and e["event"] == "team_changed" and e["actor"] == "admin"
        for e in audit
    )

    reset = await admin.post_form("/admin/teams/support/reset")
    assert reset.status_code == 303
    assert await hub.redis.get(f"{key_prefix}handoff:team:support:override") is None
    assert await _deadline(admin, hub) == before, "teams.yml's hours are back"
    assert any(e["event"] == "team_reset" for e in await _audit(hub, key_prefix))


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("hours_mon", "9-18", "bad opening hours '9-18'"),
        ("hours_mon", "18:00-09:00", "end before they start"),
        ("closures", "13-45", "bad closure '13-45'"),
        ("sla_normal", "0", "SLA minutes must be"),
        ("sla_normal", "soon", "valid integer"),
        ("hours_xyz", "09:00-10:00", None),  # an unknown field is ignored, not saved
    ],
)
async def test_invalid_hours_are_refused_and_nothing_changes(
    hub: LiveHub, key_prefix: str, field: str, value: str, reason: str | None
) -> None:
    admin = await login(hub, *ADMIN)
    before = await _deadline(admin, hub)
    refused = await admin.post_form("/admin/teams/support", {**NEW_HOURS, field: value})
    if reason is None:
        assert refused.status_code == 303
        await admin.post_form("/admin/teams/support/reset")
        return
    assert refused.status_code == 422, refused.text
    assert reason in html.unescape(refused.text)
    assert await hub.redis.get(f"{key_prefix}handoff:team:support:override") is None
    assert await _deadline(admin, hub) == before
    assert not any(e["event"] == "team_changed" for e in await _audit(hub, key_prefix))


async def test_all_closed_and_unknown_team_are_refused(hub: LiveHub) -> None:
    admin = await login(hub, *ADMIN)
    closed = {**NEW_HOURS, "hours_mon": ""}
    refused = await admin.post_form("/admin/teams/support", closed)
    assert refused.status_code == 422 and "at least one opening interval" in refused.text
    unknown = await admin.post_form("/admin/teams/nobody", NEW_HOURS)
    assert unknown.status_code == 422 and "unknown team 'nobody'" in html.unescape(unknown.text)


async def test_supervisor_sees_the_teams_but_may_not_edit(hub: LiveHub) -> None:
    supervisor = await staff_client(hub, Role.supervisor)
    page = await supervisor.http.get("/admin/teams")
    assert page.status_code == 200 and "data-team-form" not in page.text
    refused = await supervisor.post_form("/admin/teams/support", NEW_HOURS)
    assert refused.status_code == 403
    assert (await supervisor.post_form("/admin/teams/support/reset")).status_code == 403


async def test_stored_hours_are_applied_when_the_service_starts(
    redis: Redis, redis_server: str, key_prefix: str
) -> None:
    async with live_hub(redis, redis_server, key_prefix) as first:
        admin = await login(first, *ADMIN)
        assert (await admin.post_form("/admin/teams/support", NEW_HOURS)).status_code == 303
    async with live_hub(redis, redis_server, key_prefix) as second:
        admin = await login(second, *ADMIN)
        assert await _deadline(admin, second) == datetime.fromisoformat("2026-11-30T14:45:00+01:00")


VISIT_OFFER = {
    "name": "visit_offer",
    "category": "marketing",
    "parameters": "customer_name, area",
    "body_it": "Ciao {{1}}, ci sono nuove case a {{2}}. Rispondi per saperne di più.",
    "body_en": "Hi {{1}}, there are new homes in {{2}}. Reply to know more.",
    "buttons_it": "Scopri di più, No grazie",
    "buttons_en": "",
}


async def _api_templates(hub: LiveHub) -> dict[str, dict[str, object]]:
    listed = await hub.http.get("/api/templates", headers=SERVICE)
    assert listed.status_code == 200, listed.text
    return {t["name"]: t for t in listed.json()}


async def test_admin_adds_a_template_the_console_offers_and_sends_then_deletes_it(
    hub: LiveHub, key_prefix: str
) -> None:
    admin = await login(hub, *ADMIN)
    added = await admin.post_form("/admin/templates", VISIT_OFFER)
    assert added.status_code == 303, added.text
    offered = (await _api_templates(hub))["visit_offer"]
    listing = await admin.http.get("/admin/templates", headers={"Accept-Language": "en"})
    assert listing.status_code == 200, listing.text
    assert 'data-template-form="edit-visit_offer"' in listing.text
    assert "edited by an admin" in listing.text and "Meta approves them" in listing.text
    assert offered["parameters"] == ["customer_name", "area"]
    assert offered["buttons"] == {"it": ["Scopri di più", "No grazie"]} and set(
        offered["body"]
    ) == {"it", "en"}
    audit = await _audit(hub, key_prefix)
    assert any(
        e["ticket_id"] == "template:visit_offer"
        and e["event"] == "template_saved"
        and e["actor"] == "admin"
        for e in audit
    )

    contact = new_contact()
    await hub.http.post("/api/simulator/messages", json={"contact": contact, "text": "ciao"})
    ticket_id = await open_ticket(hub, contact)
    await hub.http.post(f"/api/simulator/contacts/{contact}/close-window")
    page = await admin.http.get(f"/console/tickets/{ticket_id}")
    assert 'id="window-closed"' in page.text and 'name="template" value="visit_offer"' in page.text
    await admin.post_form(f"/console/tickets/{ticket_id}/claim")
    sent = await admin.post_form(
        f"/console/tickets/{ticket_id}/template",
        {"template": "visit_offer", "parameter": ["Giulia", "Navigli"]},
    )
    assert sent.status_code == 303, sent.text

    async def delivered() -> bool:
        return any(
            s["payload"].get("template", {}).get("name") == "visit_offer"
            for s in await hub.sent_to(contact)
        )

    await until(delivered)  # the fake Cloud API accepts the new declaration too

    edited = await admin.post_form("/admin/templates", {**VISIT_OFFER, "category": "utility"})
    assert edited.status_code == 303
    assert (await _api_templates(hub))["visit_offer"]["category"] == "utility"
    deleted = await admin.post_form("/admin/templates/visit_offer/delete")
    assert deleted.status_code == 303
    assert "visit_offer" not in await _api_templates(hub)
    page = await admin.http.get(f"/console/tickets/{ticket_id}")
    assert 'value="visit_offer"' not in page.text
    assert any(e["event"] == "template_deleted" for e in await _audit(hub, key_prefix))


async def test_a_file_template_can_be_deleted_and_the_deletion_survives_a_restart(
    redis: Redis, redis_server: str, key_prefix: str
) -> None:
    async with live_hub(redis, redis_server, key_prefix) as first:
        admin = await login(first, *ADMIN)
        assert "viewing_reminder" in await _api_templates(first)
        assert (
            await admin.post_form("/admin/templates/viewing_reminder/delete")
        ).status_code == 303
    async with live_hub(redis, redis_server, key_prefix) as second:
        assert "viewing_reminder" not in await _api_templates(second)
        assert "ticket_update" in await _api_templates(second)


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"body_it": "Ciao {{1}}", "body_en": ""}, "declares 2 parameters"),
        ({"name": "Visit Offer"}, "name"),
        ({"category": "promo"}, "category"),
        ({"body_it": "", "body_en": ""}, "at least one language"),
    ],
)
async def test_invalid_templates_are_refused_and_nothing_changes(
    hub: LiveHub, key_prefix: str, changes: dict[str, str], reason: str
) -> None:
    admin = await login(hub, *ADMIN)
    before = await _api_templates(hub)
    refused = await admin.post_form("/admin/templates", {**VISIT_OFFER, **changes})
    assert refused.status_code == 422, refused.text
    assert reason in html.unescape(refused.text)
    assert await _api_templates(hub) == before
    assert not await hub.redis.exists(f"{key_prefix}templates:overrides")


async def test_reengagement_template_cannot_be_changed_nor_unknown_ones_deleted(
    hub: LiveHub,
) -> None:
    admin = await login(hub, *ADMIN)
    kept = await admin.post_form("/admin/templates/follow_up_request/delete")
    assert kept.status_code == 422 and "reengagement template" in html.unescape(kept.text)
    assert "follow_up_request" in await _api_templates(hub)
    edited = await admin.post_form("/admin/templates", {**VISIT_OFFER, "name": "follow_up_request"})
    assert edited.status_code == 409 and "bot/templates.yml" in edited.text
    assert not await hub.redis.exists(f"{hub.keys.prefix}templates:overrides")
    missing = await admin.post_form("/admin/templates/nothing_here/delete")
    assert missing.status_code == 404


async def test_supervisor_sees_the_templates_but_may_not_edit(hub: LiveHub) -> None:
    supervisor = await staff_client(hub, Role.supervisor)
    page = await supervisor.http.get("/admin/templates")
    assert page.status_code == 200 and "data-template-form" not in page.text
    assert (await supervisor.post_form("/admin/templates", VISIT_OFFER)).status_code == 403
    deleted = await supervisor.post_form("/admin/templates/ticket_update/delete")
    assert deleted.status_code == 403
    assert "visit_offer" not in await _api_templates(hub)
