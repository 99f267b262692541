"""Browser fixtures: Debian's Chromium driven by Playwright, against the running stack.

* ``browser`` — the headless Chromium (``/usr/bin/chromium``; the tests FAIL, never skip,
  when it is missing: run ``make setup``).
* ``base_url`` — the hub of the running stack (``stack`` fixture, ``tests/conftest.py``).
* ``staff_user(role, **fields)`` — a fresh staff user, created by the bootstrap admin.
* ``page_as(role, **fields)`` — a new phone-sized page (390×844) logged in through ``/login``;
  the page has ``page.staff_username``.
* ``resolve_later`` — a list; ticket ids appended to it are resolved after the test.
* ``nobody_online`` — sets every staff user offline first (auto-assignment goes to online agents).
* ``screenshot(page, name)`` — ``test-artifacts/screenshots/<name>.png`` (full page).
* ``player`` / ``customer_it`` / ``customer_en`` — simulated WhatsApp customers (``tests/e2e``).
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, BrowserContext, Page, ViewportSize, async_playwright
from redis.asyncio import Redis

from bot.stack import Stack
from handoff.config import HandoffSettings
from handoff.keys import Keys
from handoff.models import Role
from handoff.staff import StaffDirectory
from tests.e2e.conftest import customer_en, customer_it, hub_settings, player, stack_redis

__all__ = ["customer_en", "customer_it", "hub_settings", "player", "stack_redis"]

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
PHONE: ViewportSize = {"width": 390, "height": 844}
ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
ADMIN = {"username": "admin", "password": "wabot-admin"}  # bootstrap admin (simulator mode)

StaffFactory = Callable[..., Awaitable[tuple[str, str]]]
PageFactory = Callable[..., Awaitable[Page]]


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    """Headless Debian Chromium (never a downloaded browser)."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make setup` (it installs Debian's chromium)")
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield launched
        await launched.close()


@pytest.fixture(scope="session")
def base_url(stack: Stack) -> str:
    """The running stack's hub."""
    return f"http://127.0.0.1:{stack.ports.hub}"


@pytest.fixture
async def staff_user(base_url: str) -> StaffFactory:
    """Create a staff user with a role (and optional teams/areas/display_name)."""

    async def create(role: Role, **fields: Any) -> tuple[str, str]:
        async with httpx.AsyncClient(base_url=base_url, timeout=30) as http:
            login = await http.post("/api/staff/auth/login", json=ADMIN)
            login.raise_for_status()
            username = f"{role.value[:3]}{secrets.token_hex(3)}"
            password = secrets.token_urlsafe(12)
            created = await http.post(
                "/api/staff/users",
                headers={"Authorization": f"Bearer {login.json()['token']}"},
                json={"username": username, "password": password, "role": role.value, **fields},
            )
            assert created.status_code == 201, created.text
        return username, password

    return create


@pytest.fixture
async def page_as(
    browser: Browser, base_url: str, staff_user: StaffFactory
) -> AsyncIterator[PageFactory]:
    """Open a phone-sized page logged in as a fresh user of ``role`` (``admin``: the bootstrap)."""
    contexts: list[BrowserContext] = []

    async def open_page(role: Role, language: str = "it", **fields: Any) -> Page:
        if role is Role.admin and not fields:
            username, password = ADMIN["username"], ADMIN["password"]
        else:
            username, password = await staff_user(role, **fields)
        context = await browser.new_context(
            base_url=base_url, viewport=PHONE, locale=language, extra_http_headers={}
        )
        contexts.append(context)
        page = await context.new_page()
        await page.goto("/login")
        await page.get_by_label("Nome utente" if language == "it" else "Username").fill(username)
        await page.get_by_label("Password").fill(password)
        await page.locator("form[action='/login'] button[type=submit]").click()
        await page.wait_for_load_state()
        page.staff_username = username  # type: ignore[attr-defined]
        return page

    yield open_page
    for context in contexts:
        await context.close()


@pytest.fixture
async def resolve_later(base_url: str) -> AsyncIterator[list[str]]:
    """Ticket ids a test appends here are resolved (as the admin) when it ends."""
    ticket_ids: list[str] = []
    yield ticket_ids
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as http:
        token = (await http.post("/api/staff/auth/login", json=ADMIN)).json()["token"]
        for ticket_id in ticket_ids:
            await http.post(
                f"/api/staff/tickets/{ticket_id}/resolve",
                headers={"Authorization": f"Bearer {token}"},
                json={"notify_customer": False},
            )


@pytest.fixture
async def nobody_online(stack_redis: Redis) -> None:
    """Set every staff user of the stack offline, so no earlier test's agent gets new tickets."""
    directory = StaffDirectory(stack_redis, Keys(HandoffSettings().key_prefix), set())
    for user in await directory.all():
        if user.online:
            await directory.set_online(user.username, False)


@pytest.fixture
def screenshot() -> Callable[[Page, str], Awaitable[Path]]:
    """Save a full-page screenshot as a test artifact."""

    async def take(page: Page, name: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        await page.screenshot(path=str(path), full_page=True)
        return path

    return take
