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
from tests.bot.whatsapp_live import LiveHub, live_hub

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
