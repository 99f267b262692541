"""Every handoff endpoint x every role (allowed / 403) and unauthenticated (401).

The matrix is generated from the app's routes and the roles each route's dependencies
declare, so a new endpoint is covered (or fails ``test_every_route_declares_its_access``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts

from handoff.api import create_app
from handoff.api.deps import current_session, current_staff, require_service
from handoff.models import Role
from tests.handoff.conftest import PASSWORD, Handoff, make_settings
from tests.handoff.peers import SERVICE_TOKEN

PUBLIC = {("POST", "/api/staff/auth/login")}
PATH_VALUES = {"ticket_id": "T-999999", "phone": "+393330000000", "username": "nobody"}


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str
    access: str  # "public", "service", "staff" (any role) or "roles"
    roles: frozenset[Role] = frozenset()

    def url(self) -> str:
        return re.sub(r"\{(\w+)\}", lambda m: PATH_VALUES.get(m.group(1), "nope"), self.path)


def _calls(dependant: Dependant) -> Iterator[Any]:
    for sub in dependant.dependencies:
        yield sub.call
        yield from _calls(sub)


def _access(route: APIRoute) -> tuple[str, frozenset[Role]]:
    calls = list(_calls(route.dependant))
    roles = [call.roles for call in calls if hasattr(call, "roles")]
    if roles:
        return "roles", frozenset().union(*roles)
    if require_service in calls:
        return "service", frozenset()
    if current_session in calls or current_staff in calls:
        return "staff", frozenset(Role)
    return "public", frozenset()


def endpoints() -> list[Endpoint]:
    app = create_app(make_settings("unused:"))
    found = []
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if not isinstance(route, APIRoute) or not route.path.startswith("/api/"):
            continue
        access, roles = _access(route)
        for method in sorted(route.methods):
            found.append(Endpoint(method, route.path, access, roles))
    return found


ENDPOINTS = endpoints()


def test_every_route_declares_its_access() -> None:
    assert len(ENDPOINTS) >= 28
    public = {(e.method, e.path) for e in ENDPOINTS if e.access == "public"}
    assert public == PUBLIC, "only login may be public; protect new endpoints"
    staff = [
        e
        for e in ENDPOINTS
        if e.path.startswith("/api/staff/") and (e.method, e.path) not in PUBLIC
    ]
    assert all(e.access in ("staff", "roles") for e in staff)
    service = [e for e in ENDPOINTS if e.path.startswith("/api/handoff/")]
    assert service and all(e.access == "service" for e in service)
    assert all(Role.admin in e.roles for e in ENDPOINTS if e.access == "roles")


async def _status(client: httpx.AsyncClient, endpoint: Endpoint, headers: dict[str, str]) -> int:
    body = {} if endpoint.method in ("POST", "PUT", "PATCH") else None
    async with client.stream(
        endpoint.method, endpoint.url(), json=body, headers=headers
    ) as response:
        return response.status_code


async def _token(client: httpx.AsyncClient, username: str) -> str:
    login = await client.post(
        "/api/staff/auth/login", json={"username": username, "password": PASSWORD}
    )
    login.raise_for_status()
    client.cookies.clear()  # bearer only: the matrix must not ride on the session cookie
    return str(login.json()["token"])


async def test_roles_matrix(handoff: Handoff) -> None:
    for role in Role:
        await handoff.add_user(f"user-{role.value}", role)
    failures: list[str] = []
    checked = 0
    async with httpx.AsyncClient(base_url=handoff.url, timeout=30) as client:
        for endpoint in ENDPOINTS:
            if endpoint.access == "public":
                continue
            anonymous = await _status(client, endpoint, {})
            if anonymous != 401:
                failures.append(f"{endpoint.method} {endpoint.path} unauthenticated -> {anonymous}")
            service = {"Authorization": f"Bearer {SERVICE_TOKEN}"}
            for role in Role:
                token = await _token(client, f"user-{role.value}")
                staff = {"Authorization": f"Bearer {token}"}
                got = await _status(client, endpoint, staff)
                checked += 1
                if endpoint.access == "service":
                    expected_ok = False
                    denied = {401}
                else:
                    expected_ok = role in endpoint.roles
                    denied = {403}
                if expected_ok and got in (401, 403):
                    failures.append(f"{endpoint.method} {endpoint.path} as {role} -> {got}")
                if not expected_ok and got not in denied:
                    failures.append(
                        f"{endpoint.method} {endpoint.path} as {role} -> {got}, want {denied}"
                    )
            if endpoint.access == "service":
                got = await _status(client, endpoint, service)
                if got in (401, 403):
                    failures.append(
                        f"{endpoint.method} {endpoint.path} with service token -> {got}"
                    )
            elif await _status(client, endpoint, service) != 401:
                failures.append(f"{endpoint.method} {endpoint.path} accepts the service token")
    assert not failures, "\n".join(failures)
    assert checked >= 28 * 4


def test_matrix_expectations_for_key_endpoints() -> None:
    table = {(e.method, e.path): e for e in ENDPOINTS}
    claim = table[("POST", "/api/staff/tickets/{ticket_id}/claim")]
    assert claim.roles == {Role.agent, Role.supervisor, Role.admin}
    assert table[("POST", "/api/staff/users")].roles == {Role.admin}
    assert table[("GET", "/api/staff/leads.csv")].roles == {Role.supervisor, Role.admin}
    assert table[("GET", "/api/staff/auth/me")].access == "staff"
    assert Role.editor not in table[("GET", "/api/staff/events")].roles
