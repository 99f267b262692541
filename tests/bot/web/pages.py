"""Helpers of the staff page tests: a live hub, staff users and logged-in page clients."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx

from handoff.models import Role
from tests.bot.whatsapp_live import SERVICE, LiveHub

ADMIN = ("admin", "wabot-admin")  # bootstrap admin of simulator mode


@dataclass
class PageClient:
    """A browser-like client: session cookies, and the CSRF token forms carry."""

    http: httpx.AsyncClient
    username: str
    csrf: str

    async def post_form(self, path: str, data: dict[str, Any] | None = None) -> httpx.Response:
        """Submit a form the way the page does (with the hidden ``csrf_token``)."""
        return await self.http.post(path, data={"csrf_token": self.csrf, **(data or {})})


async def login(hub: LiveHub, username: str, password: str) -> PageClient:
    """Log in through the ``/login`` form; the client keeps the cookies."""
    http = httpx.AsyncClient(base_url=hub.http.base_url, timeout=15.0)
    response = await http.post("/login", data={"username": username, "password": password})
    assert response.status_code == 303, response.text
    return PageClient(http=http, username=username, csrf=http.cookies["wabot_csrf"])


async def add_staff(hub: LiveHub, role: Role, **fields: Any) -> tuple[str, str]:
    """A new staff user created by the bootstrap admin; returns ``(username, password)``."""
    admin = await hub.http.post(
        "/api/staff/auth/login", json={"username": ADMIN[0], "password": ADMIN[1]}
    )
    token = admin.json()["token"]
    username = f"{role.value[:3]}{secrets.token_hex(3)}"
    password = secrets.token_urlsafe(12)
    created = await hub.http.post(
        "/api/staff/users",
        headers={"Authorization": f"Bearer {token}"},
        json={"username": username, "password": password, "role": role.value, **fields},
    )
    assert created.status_code == 201, created.text
    return username, password


async def staff_client(hub: LiveHub, role: Role, **fields: Any) -> PageClient:
    """A logged-in page client of a fresh user with ``role``."""
    return await login(hub, *await add_staff(hub, role, **fields))


async def open_ticket(hub: LiveHub, contact: str, **fields: Any) -> str:
    """Open a ticket as the action server does; returns its id."""
    body = {
        "contact": {"phone": f"+{contact}", "name": "Giulia Bianchi", "language": "it"},
        "reason": "human_requested",
        "transcript": [
            {"role": "customer", "text": "Cerco un trilocale ai Navigli, budget 350k"},
            {"role": "bot", "text": "Ti passo a una persona."},
        ],
        "opened_at": datetime.now(UTC).isoformat(),
        **fields,
    }
    response = await hub.http.post("/api/handoff/tickets", headers=SERVICE, json=body)
    assert response.status_code in (200, 201), response.text
    return str(response.json()["ticket_id"])


def new_contact() -> str:
    """A phone number nobody else uses in the test run."""
    return "39348" + f"{secrets.randbelow(10**7):07d}"
