"""Every staff page x every role (allowed / 403) and anonymous (redirect to login).

Generated from the page routers and the roles their ``page_user`` dependency declares, like
``tests/handoff/test_roles_matrix.py`` for the API: a new page is covered automatically, and a
page without a role check fails ``test_every_page_declares_its_access``.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from redis.asyncio import Redis

from bot.web.app import page_routers
from handoff.models import Role
from tests.bot.web.pages import PageClient, login, new_contact, open_ticket, staff_client
from tests.bot.whatsapp_live import LiveHub, live_hub

FULL_PAGES = {  # answer 200 to every allowed role (others may need query parameters)
    "/console",
    "/console/queue",
    "/console/tickets/{ticket_id}",
    "/admin/users",
    "/admin/teams",
    "/admin/canned",
    "/admin/templates",
}
PUBLIC = {("GET", "/login"), ("POST", "/login"), ("GET", "/lang/{language}")}


@dataclass(frozen=True)
class Page:
    method: str
    path: str
    roles: frozenset[Role] | None  # None: public

    def url(self, values: dict[str, str]) -> str:
        return re.sub(r"\{(\w+)\}", lambda m: values.get(m.group(1), "nope"), self.path)


def _calls(dependant: Dependant) -> Iterator[Any]:
    for sub in dependant.dependencies:
        yield sub.call
        yield from _calls(sub)


def pages() -> list[Page]:
    found: list[Page] = []
    for router in page_routers():
        for route in router.routes:
            if not isinstance(route, APIRoute):
                continue
            roles = [call.roles for call in _calls(route.dependant) if hasattr(call, "roles")]
            declared = frozenset().union(*roles) if roles else None
            found.extend(Page(m, route.path, declared) for m in sorted(route.methods or ()))
    return found


PAGES = pages()


def test_every_page_declares_its_access() -> None:
    public = {(p.method, p.path) for p in PAGES if p.roles is None}
    assert public == PUBLIC, "only login and the language switch may be public"
    by_path = {(p.method, p.path): p.roles for p in PAGES}
    agents = frozenset({Role.agent, Role.supervisor, Role.admin})
    assert by_path[("GET", "/console")] == agents
    assert by_path[("GET", "/console/tickets/{ticket_id}")] == agents
    assert by_path[("GET", "/admin/users")] == frozenset({Role.admin})
    assert by_path[("POST", "/admin/users/{username}")] == frozenset({Role.admin})
    assert by_path[("GET", "/admin/canned")] == frozenset({Role.supervisor, Role.admin})
    assert len([p for p in PAGES if p.roles is not None]) >= 20


@pytest.fixture(scope="module")
async def matrix_hub(redis_server: str) -> AsyncIterator[tuple[LiveHub, dict[Role, PageClient]]]:
    prefix = f"test:{uuid.uuid4().hex[:10]}:"
    client = Redis.from_url(redis_server, decode_responses=True)
    async with live_hub(client, redis_server, prefix) as hub:
        clients: dict[Role, PageClient] = {
            role: await staff_client(hub, role) for role in Role if role is not Role.admin
        }
        clients[Role.admin] = await login(hub, "admin", "wabot-admin")
        yield hub, clients
    async for key in client.scan_iter(match=f"{prefix}*", count=500):
        await client.delete(key)
    await client.aclose()


@pytest.fixture(scope="module")
async def path_values(matrix_hub: tuple[LiveHub, dict[Role, PageClient]]) -> dict[str, str]:
    hub, clients = matrix_hub
    return {
        "ticket_id": await open_ticket(hub, new_contact()),
        "username": clients[Role.agent].username,
        "canned_id": "greeting_it",
        "language": "en",
    }


@pytest.mark.parametrize(
    "page", [p for p in PAGES if p.roles is not None], ids=lambda p: f"{p.method} {p.path}"
)
async def test_page_by_role(
    page: Page,
    matrix_hub: tuple[LiveHub, dict[Role, PageClient]],
    path_values: dict[str, str],
) -> None:
    hub, clients = matrix_hub
    url = page.url(path_values)
    async with httpx.AsyncClient(base_url=hub.http.base_url, timeout=15.0) as nobody:
        anonymous = await nobody.request(page.method, url)
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/login")
    assert page.roles is not None
    for role, client in clients.items():
        if role in page.roles:
            if page.method == "GET":
                answer = await client.http.get(url)
                assert answer.status_code not in (401, 403) and answer.status_code < 500, (
                    role,
                    url,
                    answer.text[:300],
                )
                assert not answer.headers.get("location", "").startswith("/login")
                if page.path in FULL_PAGES:
                    assert answer.status_code == 200, (role, url, answer.text[:300])
            continue  # writes by allowed roles are exercised in test_pages.py
        refused = await client.http.request(
            page.method, url, data={"csrf_token": client.csrf} if page.method == "POST" else None
        )
        assert refused.status_code == 403, (role, page.method, url)
