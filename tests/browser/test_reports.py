"""The owner's reports in a real Chromium: the figures match the conversations played here.

Four customers write on one business day that no other test uses (a Tuesday of 2025, picked
at random and checked empty): a contained FAQ with one unanswered question, a request for a
person (an agent claims, replies and resolves), a qualified lead, and an opt-out.
"""

from __future__ import annotations

import csv
import io
import random
import shutil
from collections.abc import Awaitable, Callable
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import httpx
from playwright.async_api import Page, expect

from bot.simulate import Player
from handoff.analytics import business_minutes
from handoff.models import Role
from handoff.teams import load_teams
from tests.browser.conftest import ADMIN, ROOT, SCREENSHOTS, PageFactory
from tests.browser.test_console import _fits_phone as fits_phone
from tests.e2e.helpers import ROME, Customer

Shot = Callable[[Page, str], Awaitable[Path]]
README_SHOTS = ROOT / "docs" / "screenshots"
TEAMS = load_teams(ROOT / "handoff" / "teams.yml")
MISS = "quanto costa un posto barca a Genova?"


def _period(day: date) -> dict[str, str]:
    start = datetime.combine(day, time(), tzinfo=ROME)
    return {"since": start.isoformat(), "until": (start + timedelta(days=1)).isoformat()}


async def _quiet_tuesday(http: httpx.AsyncClient, headers: dict[str, str]) -> date:
    """A 2025 working Tuesday with no conversation or ticket yet (earlier runs used others)."""
    calendar = TEAMS.get("sales").calendar
    for _ in range(30):
        day = date(2025, 1, 7) + timedelta(weeks=random.randrange(51))
        if calendar.is_closed_day(day):
            continue
        report = (await http.get("/api/staff/reports", params=_period(day), headers=headers)).json()
        if report["conversations"] == 0 and report["tickets"] == 0:
            return day
    raise AssertionError("no quiet Tuesday left in 2025 on this database")


def _customer(player: Player, day: date, hour: int) -> Customer:
    customer = Customer(player, "it")
    customer.clock = datetime.combine(day, time(hour, 0), tzinfo=ROME)
    return customer


async def _ticket(player: Player, customer: Customer) -> dict[str, Any]:
    tickets = await player.tickets_of(customer.contact)
    assert len(tickets) == 1, tickets
    return tickets[0]


async def _play(player: Player, day: date) -> dict[str, Customer]:
    faq, human, lead, stop = (_customer(player, day, h) for h in (10, 11, 12, 13))
    assert "Orari" in " ".join(await faq.say("a che ora aprite il sabato?"))
    assert await faq.say(MISS)
    assert await human.say("vorrei parlare con un operatore per favore")
    await lead.say("buongiorno vorrei acquistare un trilocale ai navigli, budget 350k")
    await lead.say("entro l'estate")
    await lead.say("mi chiamo Giulia Bianchi")
    await stop.say("STOP")
    assert await player.consent_of(stop.contact) == "opted_out"
    assert await player.tickets_of(faq.contact) == [] == await player.tickets_of(stop.contact)
    return {"faq": faq, "human": human, "lead": lead, "stop": stop}


async def _work_the_ticket(http: httpx.AsyncClient, headers: dict[str, str], ticket: str) -> None:
    """An agent (the admin here) claims, replies and resolves: a first response, a resolution."""
    for path, body in (
        ("claim", None),
        ("reply", {"text": "Buongiorno, sono qui per aiutarla."}),
        ("resolve", {"note": "gestita"}),
    ):
        done = await http.post(f"/api/staff/tickets/{ticket}/{path}", headers=headers, json=body)
        assert done.status_code == 200, done.text


def _minutes(ticket: dict[str, Any], end: str) -> str:
    """Business minutes as the page prints them, from the ticket the API returns."""
    calendar = TEAMS.get(ticket["team"]).calendar
    value = business_minutes(
        calendar,
        datetime.fromisoformat(ticket["created_at"]),
        datetime.fromisoformat(ticket[end]),
    )
    return f"{round(value, 1):.0f} min"


async def _figure(page: Page, name: str) -> str:
    return (await page.locator(f'[data-figure="{name}"]').inner_text()).strip()


async def _count(page: Page, table: str, key: str) -> str:
    row = page.locator(f'[data-table="{table}"] tr[data-key="{key}"] [data-count]')
    return (await row.inner_text()).strip()


async def test_owner_report_matches_the_conversations_played(
    page_as: PageFactory, player: Player, base_url: str, screenshot: Shot
) -> None:
    async with httpx.AsyncClient(base_url=base_url, timeout=60) as http:
        login = await http.post("/api/staff/auth/login", json=ADMIN)
        headers = {"Authorization": f"Bearer {login.json()['token']}"}
        day = await _quiet_tuesday(http, headers)
        customers = await _play(player, day)
        human = await _ticket(player, customers["human"])
        lead = await _ticket(player, customers["lead"])
        assert human["reason"] == "human_requested" and lead["reason"] == "qualified_lead"
        assert lead["lead"]["area"] == "Navigli" and lead["lead"]["budget_max"] == 350000
        await _work_the_ticket(http, headers, human["id"])
    # The tickets run on their conversation's clock (2025, offset from now): the agent answered
    # within seconds of that clock and the lead's deadline has not passed on it.
    human, lead = [await _ticket(player, customers[name]) for name in ("human", "lead")]
    assert not human["sla_breached"] and not lead["sla_breached"]

    page = await page_as(Role.supervisor)
    await page.goto(f"/reports?since={day}&until={day}")
    expected = {
        "conversations": "4",
        "containment_rate": "50 %",  # the FAQ and the opt-out: no person needed
        "handoff_rate": "50 %",
        "leads": "1",
        "opt_outs": "1",
        "sla_breached": "0",
        "first_response_median": _minutes(human, "first_response_at"),
        "first_response_p90": _minutes(human, "first_response_at"),
        "resolution_median": _minutes(human, "resolved_at"),
    }
    for name, value in expected.items():
        assert await _figure(page, name) == value, name
    assert await _count(page, "handoffs_by_reason", "human_requested") == "1"
    assert await _count(page, "handoffs_by_reason", "qualified_lead") == "1"
    assert await _count(page, "handoffs_by_reason", "bot_failed") == "0"
    assert await _count(page, "leads_by_area", "Navigli") == "1"
    assert await _count(page, "leads_by_budget", "buy|350k–500k") == "1"
    unanswered = page.locator('[data-table="unanswered"] tbody tr')
    await expect(unanswered).to_have_count(1)
    await expect(unanswered).to_contain_text(MISS)
    await expect(page.locator("svg.chart").first).to_be_visible()
    await fits_phone(page)
    await screenshot(page, "reports")
    README_SHOTS.mkdir(parents=True, exist_ok=True)
    shutil.copy(SCREENSHOTS / "reports.png", README_SHOTS / "reports.png")

    api = await page.request.get("/api/staff/reports", params=_period(day))
    report = await api.json()
    assert (report["conversations"], report["contained"], report["opt_outs"]) == (4, 2, 1)
    assert [(d["day"], d["conversations"], d["handed_off"]) for d in report["daily"]] == [
        (day.isoformat(), 4, 2)
    ]
    exported = await page.request.get(
        "/api/staff/reports/handoffs_by_reason.csv", params=_period(day)
    )
    rows = {r["key"]: r["count"] for r in csv.DictReader(io.StringIO(await exported.text()))}
    assert rows == {
        "human_requested": "1",
        "bot_failed": "0",
        "qualified_lead": "1",
        "complaint": "0",
    }


async def test_agents_and_editors_are_refused_the_reports(page_as: PageFactory) -> None:
    for role in (Role.agent, Role.editor):
        page = await page_as(role)
        response = await page.goto("/reports")
        assert response is not None and response.status == 403, role
        api = await page.request.get("/api/staff/reports")
        assert api.status == 403, role


async def test_a_backwards_period_is_refused_with_a_reason(page_as: PageFactory) -> None:
    page = await page_as(Role.supervisor)
    response = await page.goto("/reports?since=2025-03-10&until=2025-03-01")
    assert response is not None and response.status == 422
    await expect(page.locator("main")).to_contain_text("'since' must be before 'until'")
    api = await page.request.get(
        "/api/staff/reports?since=2025-03-10T00:00:00Z&until=2025-03-01T00:00:00Z"
    )
    assert api.status == 422
    naive = await page.request.get("/api/staff/reports?since=2025-03-10T00:00:00")
    assert naive.status == 422
