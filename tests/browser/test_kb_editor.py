"""The knowledge-base editor in a real Chromium: try, edit with preview, publish, lint, restore."""

from __future__ import annotations

import asyncio
import secrets
import shutil
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
from playwright.async_api import Page, expect

from handoff.models import Role
from tests.browser.conftest import ADMIN, ROOT, SCREENSHOTS, PageFactory
from tests.browser.test_console import _fits_phone as fits_phone
from tests.e2e.helpers import Customer

Shot = Callable[[Page, str], Awaitable[Path]]
README_SHOTS = ROOT / "docs" / "screenshots"
QUESTION = "a che ora aprite il sabato?"
DOC = "/api/kb/docs/opening_hours/it"
FIELDS = ("title", "alt_questions", "tags", "team", "updated", "body")


async def _headers(http: httpx.AsyncClient) -> dict[str, str]:
    login = await http.post("/api/staff/auth/login", json=ADMIN)
    return {"Authorization": f"Bearer {login.json()['token']}"}


async def _document(base_url: str) -> dict[str, Any]:
    """The document as the API serves it now."""
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as http:
        found: dict[str, Any] = (await http.get(DOC, headers=await _headers(http))).json()
    return found


async def _put_back(base_url: str, original: dict[str, Any]) -> None:
    """Leave the example document as it was, whatever the test did."""
    async with httpx.AsyncClient(base_url=base_url, timeout=120) as http:
        headers = await _headers(http)
        current = (await http.get(DOC, headers=headers)).json()
        if current["body"] != original["body"]:
            body = {k: original[k] for k in FIELDS} | {"version": current["version"]}
            await http.put(DOC, headers=headers, json=body)


async def _answers_within(customer: Customer, needle: str, seconds: float) -> float:
    """Ask until a reply contains ``needle``; return how long it took after the call."""
    started = time.monotonic()
    replies: list[str] = []
    while time.monotonic() - started < seconds:
        replies = await customer.say(QUESTION)
        if any(needle in r for r in replies):
            return time.monotonic() - started
        await asyncio.sleep(0.2)
    raise AssertionError(f"no reply with {needle!r} within {seconds} s: {replies}")


async def test_editor_tries_edits_publishes_and_restores(
    page_as: PageFactory, customer_it: Customer, base_url: str, screenshot: Shot
) -> None:
    original = await _document(base_url)
    first_line = original["body"].splitlines()[0].strip("*")
    # the bot answers with the document as it is (this also warms a freshly started stack,
    # so the 5 seconds below measure the publication, not loading the models)
    await _answers_within(customer_it, first_line, 120.0)
    page = await page_as(Role.editor)
    editor = page.staff_username  # type: ignore[attr-defined]
    try:
        await page.goto("/kb")
        await expect(page.locator('tr[data-topic="opening_hours"]')).to_be_visible()
        await page.get_by_label("Cosa scriverebbe un cliente?").fill(QUESTION)
        await page.get_by_role("button", name="Prova").click()
        await expect(page.locator("[data-decision]")).to_have_attribute("data-decision", "answer")
        await expect(page.locator('tr.chosen-hit[data-hit="opening_hours"]')).to_be_visible()
        await fits_phone(page)
        await screenshot(page, "kb-documents")

        await page.goto("/kb/opening_hours/it")
        marker = f"sabato dalle 10:00 alle 12:30 ({secrets.token_hex(3)})"
        await page.get_by_label("Risposta").fill(f"*Orari nuovi*: {marker}\n- lunedì-venerdì 9-18")
        preview = page.locator("#preview")
        await expect(preview).not_to_contain_text("Domenica e festivi")  # live, no reload
        await expect(preview.locator("strong")).to_have_text(["Orari nuovi"])
        await expect(preview.locator("li")).to_have_text(["lunedì-venerdì 9-18"])
        await fits_phone(page)
        await screenshot(page, "kb-editor")

        await page.get_by_role("button", name="Salva e pubblica").click()
        await expect(page.locator(".alert.ok[data-saved]")).to_be_visible()
        took = await _answers_within(customer_it, marker, 5.0)
        assert took < 5.0

        await page.get_by_label("Risposta").fill("   ")  # an empty answer: a lint error
        await page.get_by_role("button", name="Salva e pubblica").click()
        await expect(page.locator(".alert.error[data-errors]")).to_be_visible()
        await screenshot(page, "kb-lint-error")
        assert marker in (await _document(base_url))["body"], "the empty answer was published"

        await page.goto("/kb/opening_hours/it/history")
        latest = page.locator("table.revisions tbody tr").first
        await expect(latest).to_have_attribute("data-action", "saved")
        await expect(latest).to_contain_text(editor)
        await expect(latest.locator("[data-current]")).to_be_visible()
        await fits_phone(page)
        await screenshot(page, "kb-history")
        row = page.locator(f'tr[data-version="{original["version"]}"]').first
        await row.get_by_role("button", name="Ripristina").click()
        await expect(page.locator(".alert.ok[data-saved]")).to_be_visible()
        await expect(page.get_by_label("Risposta")).to_have_value(original["body"])
        await _answers_within(customer_it, first_line, 5.0)
    finally:
        await _put_back(base_url, original)
    README_SHOTS.mkdir(parents=True, exist_ok=True)
    shutil.copy(SCREENSHOTS / "kb-editor.png", README_SHOTS / "kb-editor.png")


async def test_an_agent_is_refused_the_editor(page_as: PageFactory, screenshot: Shot) -> None:
    page = await page_as(Role.agent)
    response = await page.goto("/kb")
    assert response is not None and response.status == 403
    await expect(page.get_by_role("heading", level=1)).to_have_text("Accesso negato")
    await expect(page.locator("nav.menu")).not_to_contain_text("Base di conoscenza")
    api = await page.request.get("/api/kb/docs")
    assert api.status == 403
    await screenshot(page, "kb-forbidden-agent")
