"""The staff console in a real Chromium against the running stack (simulated customers)."""

from __future__ import annotations

import asyncio
import re
import shutil
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx
from playwright.async_api import Page, expect

from bot.simulate import Player
from handoff.models import Role
from tests.browser.conftest import ROOT, SCREENSHOTS, PageFactory
from tests.e2e.helpers import Customer

Shot = Callable[[Page, str], Awaitable[Path]]
README_SHOTS = ROOT / "docs" / "screenshots"
LIVE_TIMEOUT_MS = 20_000


async def _ticket_of(player: Player, contact: str) -> str:
    tickets = await player.tickets_of(contact)
    assert tickets, "the customer's request opened a ticket"
    return str(tickets[0]["id"])


async def _wait_sent(player: Player, contact: str, needle: str, start: int = 0) -> None:
    for _ in range(150):
        if any(needle in str(s["payload"]) for s in await player.sent_to(contact, start)):
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"the fake Cloud API never received {needle!r} for {contact}")


UNLABELLED = """
[...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
  .filter((el) => el.labels.length === 0 && !el.getAttribute('aria-label'))
  .map((el) => el.outerHTML.slice(0, 120))
"""


async def _fits_phone(page: Page) -> None:
    """Usable on a 390 px phone: no sideways scrolling, every field labelled, one h1."""
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"{page.url} is {width}px wide: it must fit a 390px phone"
    assert await page.evaluate(UNLABELLED) == [], f"fields without a label on {page.url}"
    assert await page.locator("main h1").count() == 1


async def test_agent_sees_a_ticket_live_claims_replies_and_resolves(
    nobody_online: None,
    resolve_later: list[str],
    page_as: PageFactory,
    customer_it: Customer,
    player: Player,
    screenshot: Shot,
) -> None:
    page = await page_as(Role.agent, teams=["sales", "rentals", "support"], display_name="Laura")
    await page.goto("/console")
    await expect(page.locator("#live-status")).to_have_text(
        "Aggiornamenti in tempo reale attivi.", timeout=LIVE_TIMEOUT_MS
    )
    await page.evaluate("window.__sameDocument = true")

    await customer_it.say("Buongiorno, cerco un trilocale ai Navigli, budget massimo 350 mila euro")
    await customer_it.say("vorrei parlare con un operatore per favore")
    ticket_id = await _ticket_of(player, customer_it.contact)
    row = page.locator(f'#queue [data-ticket="{ticket_id}"]')
    await expect(row).to_be_visible(timeout=LIVE_TIMEOUT_MS)
    assert await page.evaluate("window.__sameDocument === true"), "appeared without a reload"
    await expect(row.locator(".sla")).to_have_class(re.compile(r"sla-(ok|warn|late)"))
    await _fits_phone(page)
    await screenshot(page, "console-queue")

    await row.get_by_role("link").click()
    await expect(page.get_by_role("heading", level=1)).to_contain_text(ticket_id)
    facts = page.locator("table.facts")
    area = facts.get_by_role("row", name=re.compile(r"^zona "))
    await expect(area).to_contain_text("Navigli")
    await expect(facts.get_by_role("row", name=re.compile(r"^budget massimo "))).to_contain_text(
        "350.000"
    )
    await expect(area.locator("q")).to_contain_text("cerco un trilocale ai Navigli")
    await page.get_by_role("button", name="Prendi in carico").click()
    await expect(page.locator("#ticket-assignee")).to_have_text(page.staff_username)  # type: ignore[attr-defined]

    await page.get_by_label("Risposta rapida").select_option("greeting_it")
    await expect(page.get_by_label("Messaggio")).to_have_value(
        re.compile(r"sono Laura di Casa Navigli")
    )
    await page.get_by_label("Messaggio").fill("Buongiorno, sono Laura: mi dica pure.")
    before = len(await player.sent_to(customer_it.contact))
    await page.get_by_role("button", name="Invia su WhatsApp").click()
    await expect(page.locator(".alert.ok")).to_have_text("Risposta inviata.")
    await _wait_sent(player, customer_it.contact, "sono Laura: mi dica pure", before)
    await page.reload()
    await expect(page.locator(".from-agent").last).to_contain_text("sono Laura: mi dica pure")
    await expect(page.locator(".from-agent .ticks").last).to_be_visible()
    await page.evaluate("window.__sameDocument = true")
    silent = await customer_it.say("Grazie, sono libera giovedì pomeriggio")
    assert silent == [], "the bot stays silent while a person owns the conversation"
    await expect(page.locator("#chat")).to_contain_text(
        "sono libera giovedì pomeriggio", timeout=LIVE_TIMEOUT_MS
    )
    assert await page.evaluate("window.__sameDocument === true"), "appeared without a reload"
    await _fits_phone(page)
    await screenshot(page, "console-ticket")

    await page.get_by_label("Nota di chiusura").fill("richiesta gestita")
    await page.get_by_role("button", name="Risolvi e ridai al bot").click()
    await expect(page.locator(".alert.ok")).to_contain_text("il bot risponde di nuovo")
    answered = await customer_it.say("a che ora aprite il sabato?")
    assert answered, "after the resolution the bot answers the customer again"
    resolve_later.extend(
        t["id"] for t in await player.tickets_of(customer_it.contact) if t["status"] != "resolved"
    )


async def test_an_editor_is_refused_the_console(page_as: PageFactory, screenshot: Shot) -> None:
    page = await page_as(Role.editor)
    response = await page.goto("/console")
    assert response is not None and response.status == 403
    await expect(page.get_by_role("heading", level=1)).to_have_text("Accesso negato")
    await expect(page.locator("nav.menu")).not_to_contain_text("Console")
    await screenshot(page, "console-forbidden-editor")


async def test_supervisor_sees_all_teams_who_is_online_and_reassigns(
    nobody_online: None,
    resolve_later: list[str],
    page_as: PageFactory,
    customer_en: Customer,
    player: Player,
    screenshot: Shot,
) -> None:
    agent = await page_as(Role.agent, language="en", teams=["support"])
    await agent.goto("/console")
    await agent.get_by_role("button", name="Go online").click()
    await expect(agent.locator("#presence-state")).to_have_text("Online")

    await customer_en.say("I want to talk to a person please")
    ticket_id = await _ticket_of(player, customer_en.contact)
    resolve_later.append(ticket_id)
    supervisor = await page_as(Role.supervisor, language="en")
    await supervisor.goto("/console")
    online = supervisor.locator("section.online")
    await expect(online).to_contain_text(agent.staff_username)  # type: ignore[attr-defined]
    for team in ("sales", "rentals", "support"):
        await expect(supervisor.locator(f'section[data-team="{team}"]')).to_be_visible()
    await expect(supervisor.locator(f'[data-ticket="{ticket_id}"]')).to_be_visible()
    await _fits_phone(supervisor)
    await screenshot(supervisor, "console-supervisor")

    await supervisor.goto(f"/console/tickets/{ticket_id}")
    await supervisor.get_by_label("Team", exact=True).select_option("support")
    await supervisor.get_by_label("Agent", exact=True).select_option(agent.staff_username)  # type: ignore[attr-defined]
    await supervisor.get_by_role("button", name="Reassign").click()
    await expect(supervisor.locator("#ticket-assignee")).to_have_text(agent.staff_username)  # type: ignore[attr-defined]
    await agent.goto("/console/queue")
    await expect(agent.locator(f'[data-ticket="{ticket_id}"]')).to_contain_text(
        agent.staff_username  # type: ignore[attr-defined]
    )
    await agent.goto("/console")
    await agent.get_by_role("button", name="Go offline").click()
    await expect(agent.locator("#presence-state")).to_have_text("Offline")


async def test_closed_window_shows_the_warning_and_sends_a_template(
    resolve_later: list[str],
    page_as: PageFactory,
    customer_it: Customer,
    player: Player,
    base_url: str,
    screenshot: Shot,
) -> None:
    await customer_it.say("vorrei parlare con un operatore")
    ticket_id = await _ticket_of(player, customer_it.contact)
    resolve_later.append(ticket_id)
    async with httpx.AsyncClient(base_url=base_url) as http:
        closed = await http.post(f"/api/simulator/contacts/{customer_it.contact}/close-window")
        assert closed.status_code == 204
    page = await page_as(Role.agent)
    await page.goto(f"/console/tickets/{ticket_id}")
    await expect(page.locator("#window-closed")).to_contain_text("finestra di 24 ore è chiusa")
    await expect(page.locator("#reply-form")).to_have_count(0)
    await page.locator("summary", has_text="ticket_update").click()
    await screenshot(page, "console-window-closed")
    form = page.locator("form[action$='/template']").filter(
        has=page.locator("input[value=ticket_update]")
    )
    await form.get_by_label("customer_name").fill("Giulia")
    await expect(form.get_by_label("ticket_id")).to_have_value(ticket_id)
    await form.get_by_role("button", name="Invia il template").click()
    await expect(page.locator(".alert.ok")).to_have_text("Template inviato.")
    await _wait_sent(player, customer_it.contact, "ticket_update")


async def test_administration_pages_render_on_a_phone(
    page_as: PageFactory, screenshot: Shot
) -> None:
    admin = await page_as(Role.admin, language="en")
    for path, name, heading in [
        ("/admin/users", "admin-users", "Users and roles"),
        ("/admin/teams", "admin-teams", "Teams and hours"),
        ("/admin/canned", "admin-canned", "Canned replies"),
        ("/admin/templates", "admin-templates", "WhatsApp templates"),
    ]:
        response = await admin.goto(path)
        assert response is not None and response.status == 200
        await expect(admin.get_by_role("heading", level=1)).to_have_text(heading)
        await _fits_phone(admin)
        await screenshot(admin, name)
    await admin.goto("/admin/canned")
    await admin.get_by_label("Id (a-z, 0-9, _ -)").fill("browser_test")
    await admin.locator("#new-title").fill("From the browser")
    await admin.locator("#new-text").fill("Hello {first_name}, this is {agent}.")
    await admin.get_by_role("button", name="Save").last.click()
    await expect(admin.locator(".alert.ok")).to_have_text("Canned reply saved.")
    await expect(admin.locator('[data-canned="browser_test"]')).to_be_visible()
    await admin.locator('[data-canned="browser_test"] summary').click()
    await admin.locator('[data-canned="browser_test"]').get_by_role("button", name="Delete").click()
    await expect(admin.locator('[data-canned="browser_test"]')).to_have_count(0)

    await admin.goto("/admin/teams")
    await admin.get_by_text("Edit hours, closures and SLA").first.click()
    await admin.locator("#sales-hours-sat").fill("09:30-12:30")
    await admin.locator('[data-team-form="sales"]').get_by_role("button", name="Save").click()
    await expect(admin.locator(".alert.ok")).to_have_text(
        "Team hours saved: new tickets use them now."
    )
    await expect(admin.locator('[data-overridden="sales"]')).to_be_visible()
    await screenshot(admin, "admin-teams-edited")
    await admin.get_by_text("Edit hours, closures and SLA").first.click()
    await admin.get_by_role("button", name="Reset to handoff/teams.yml").click()
    await expect(admin.locator('[data-overridden="sales"]')).to_have_count(0)

    await admin.context.clear_cookies()
    await admin.goto("/login")
    await screenshot(admin, "login")


def test_console_screenshots_are_copied_for_the_readme() -> None:
    """Runs after the tests above (file order): the README shows these."""
    README_SHOTS.mkdir(parents=True, exist_ok=True)
    for name in ("console-queue", "console-ticket", "console-supervisor"):
        source = SCREENSHOTS / f"{name}.png"
        assert source.exists(), f"{source} was not written by the console tests"
        shutil.copyfile(source, README_SHOTS / f"{name}.png")
