"""The role matrix over the whole hub: every staff endpoint (handoff's, GDPR, KB editor...).

``tests/handoff/test_roles_matrix.py`` checks the handoff service alone; the hub mounts more
staff endpoints (``/api/staff/gdpr``...). The matrix is generated from the hub's routes, so an
endpoint added later is covered without editing this file.
"""

from __future__ import annotations

import httpx
from fastapi import FastAPI
from fastapi.dependencies.utils import get_dependant
from fastapi.routing import APIRoute, iter_route_contexts

from bot.config import Settings
from bot.main import create_app
from handoff.models import Role
from tests.handoff.test_roles_matrix import PUBLIC, Endpoint, _access, _calls, _status
from tests.security.conftest import ADMIN, HubFactory, bearer

STAFF_PREFIXES = ("/api/staff/", "/api/kb/")
# checked by the handoff matrix: the SSE stream never ends, logout would end our sessions
SKIP = {("GET", "/api/staff/events"), ("POST", "/api/staff/auth/logout")}
PASSWORD = "matrix-password-1"


def _effective_access(app: FastAPI, route: APIRoute) -> tuple[str, frozenset[Role]]:
    """The route's access with the app's dependency overrides applied (the KB editor API)."""
    for sub in route.dependant.dependencies:
        override = app.dependency_overrides.get(sub.call)
        if override is not None:
            replaced = get_dependant(path=route.path, call=override)
            roles = [c.roles for c in _calls(replaced) if hasattr(c, "roles")]
            if roles:
                return "roles", frozenset().union(*roles)
    return _access(route)


def hub_endpoints() -> list[Endpoint]:
    app = create_app(Settings(simulator_mode=True, run_workers=False))
    found = []
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if not isinstance(route, APIRoute) or not route.path.startswith(STAFF_PREFIXES):
            continue
        access, roles = _effective_access(app, route)
        for method in sorted(route.methods):
            if (method, route.path) not in PUBLIC | SKIP:
                found.append(Endpoint(method, route.path, access, roles))
    return found


ENDPOINTS = hub_endpoints()


def test_gdpr_endpoints_are_supervisor_only() -> None:
    table = {(e.method, e.path): e for e in ENDPOINTS}
    for method in ("GET", "DELETE"):
        assert table[(method, "/api/staff/gdpr/{phone}")].roles == {Role.supervisor, Role.admin}
    assert all(e.access in ("staff", "roles") for e in ENDPOINTS)
    kb = [e for e in ENDPOINTS if e.path.startswith("/api/kb/")]
    assert kb and all(e.roles == {Role.editor, Role.admin} for e in kb)


async def _users(http: httpx.AsyncClient) -> dict[Role, dict[str, str]]:
    admin = await bearer(http, ADMIN)
    headers = {}
    for role in Role:
        username = f"matrix-{role.value}"
        created = await http.post("/api/staff/users", headers=admin, json={
            "username": username, "password": PASSWORD, "role": role.value,
            "teams": ["sales"], "areas": []})
        assert created.status_code in (200, 201), created.text
        headers[role] = await bearer(http, {"username": username, "password": PASSWORD})
    return headers


async def test_hub_roles_matrix(hub: HubFactory) -> None:
    failures: list[str] = []
    checked = 0
    async with hub(login_rate_per_min=1000) as (_, http):
        users = await _users(http)
        for endpoint in ENDPOINTS:
            if (got := await _status(http, endpoint, {})) != 401:
                failures.append(f"{endpoint.method} {endpoint.path} anonymous -> {got}")
            for role, headers in users.items():
                got = await _status(http, endpoint, headers)
                checked += 1
                allowed = endpoint.access == "staff" or role in endpoint.roles
                if allowed and got in (401, 403):
                    failures.append(f"{endpoint.method} {endpoint.path} as {role} -> {got}")
                if not allowed and got != 403:
                    failures.append(f"{endpoint.method} {endpoint.path} as {role} -> {got} != 403")
    assert not failures, "\n".join(failures)
    assert checked == len(ENDPOINTS) * len(Role)
    print(f"hub role matrix: {len(ENDPOINTS)} endpoints x {len(Role)} roles + anonymous")
