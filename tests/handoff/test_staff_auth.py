"""Staff login: argon2 hashes, lockout, cookies + CSRF, bearer tokens, expiry, disable."""

from __future__ import annotations

import httpx
import pytest
from pydantic import SecretStr, ValidationError

from handoff.api import create_app
from handoff.api.state import SIMULATOR_ADMIN_PASSWORD
from handoff.config import HandoffSettings
from handoff.models import Role
from tests.handoff.conftest import PASSWORD, Handoff, make_settings
from tests.handoff.peers import serve


async def login(
    client: httpx.AsyncClient, username: str, password: str = PASSWORD
) -> httpx.Response:
    return await client.post(
        "/api/staff/auth/login", json={"username": username, "password": password}
    )


async def test_passwords_are_argon2_hashes(handoff: Handoff) -> None:
    await handoff.add_user("anna", Role.agent)
    raw = await handoff.state.redis.get(handoff.state.keys.user("anna"))
    assert raw is not None and PASSWORD not in raw and "$argon2id$" in raw


async def test_wrong_password_then_lockout_then_unlock(handoff: Handoff) -> None:
    await handoff.add_user("bruno", Role.agent)
    admin = await handoff.staff("root", Role.admin)
    async with httpx.AsyncClient(base_url=handoff.url) as client:
        unknown = await login(client, "nobody")
        assert unknown.status_code == 401
        for _ in range(handoff.settings.login_max_failures):
            assert (await login(client, "bruno", "wrong-password")).status_code == 401
        locked = await login(client, "bruno")
        assert locked.status_code == 429 and "try again" in locked.json()["detail"]
        async with admin:
            assert (await admin.post("/api/staff/users/bruno/unlock")).status_code == 204
        assert (await login(client, "bruno")).status_code == 200


async def test_cookie_session_needs_the_csrf_header(handoff: Handoff) -> None:
    await handoff.add_user("carla", Role.agent)
    async with httpx.AsyncClient(base_url=handoff.url) as browser:
        response = await login(browser, "carla")
        assert response.status_code == 200
        cookies = response.headers.get_list("set-cookie")
        session = next(c for c in cookies if c.startswith("wabot_session="))
        csrf = next(c for c in cookies if c.startswith("wabot_csrf="))
        assert "HttpOnly" in session and "SameSite=lax" in session and "Secure" not in session
        assert "HttpOnly" not in csrf
        csrf_token = response.json()["csrf_token"]
        assert browser.cookies["wabot_csrf"] == csrf_token

        assert (await browser.get("/api/staff/auth/me")).json()["username"] == "carla"
        presence = {"online": True}
        missing = await browser.put("/api/staff/me/presence", json=presence)
        assert missing.status_code == 403 and "X-CSRF-Token" in missing.json()["detail"]
        wrong = await browser.put(
            "/api/staff/me/presence", json=presence, headers={"X-CSRF-Token": "forged"}
        )
        assert wrong.status_code == 403
        ok = await browser.put(
            "/api/staff/me/presence", json=presence, headers={"X-CSRF-Token": csrf_token}
        )
        assert ok.status_code == 200 and ok.json()["online"] is True


async def test_secure_cookie_setting(peers, prefix, redis) -> None:  # type: ignore[no-untyped-def]
    app = create_app(make_settings(prefix, peers[0], cookie_secure=True))
    async with serve(app) as url:
        from handoff.models import StaffUserCreate

        await app.state.handoff.directory.create(
            StaffUserCreate(username="dora", role=Role.agent, password=PASSWORD)
        )
        async with httpx.AsyncClient(base_url=url) as client:
            response = await login(client, "dora")
    session = next(c for c in response.headers.get_list("set-cookie") if "wabot_session" in c)
    assert "Secure" in session


async def test_bearer_token_logout_and_expiry(handoff: Handoff) -> None:
    await handoff.add_user("elio", Role.supervisor)
    async with httpx.AsyncClient(base_url=handoff.url) as client:
        body = (await login(client, "elio")).json()
        client.cookies.clear()
        bearer = {"Authorization": f"Bearer {body['token']}"}
        assert (await client.get("/api/staff/auth/me", headers=bearer)).status_code == 200
        # bearer clients need no CSRF header for state changes
        assert (
            await client.put("/api/staff/me/presence", json={"online": True}, headers=bearer)
        ).status_code == 200

        keys = [
            k
            async for k in handoff.state.redis.scan_iter(
                match=f"{handoff.settings.key_prefix}session:*"
            )
        ]
        assert len(keys) == 1 and body["token"] not in keys[0]
        ttl = await handoff.state.redis.ttl(keys[0])
        assert 0 < ttl <= handoff.settings.session_ttl_minutes * 60
        assert body["token"] not in (await handoff.state.redis.get(keys[0]))

        assert (await client.post("/api/staff/auth/logout", headers=bearer)).status_code == 204
        assert (await client.get("/api/staff/auth/me", headers=bearer)).status_code == 401

        again = (await login(client, "elio")).json()
        client.cookies.clear()
        bearer = {"Authorization": f"Bearer {again['token']}"}
        for key in [
            k
            async for k in handoff.state.redis.scan_iter(
                match=f"{handoff.settings.key_prefix}session:*"
            )
        ]:
            await handoff.state.redis.delete(key)  # what the TTL does when the session expires
        expired = await client.get("/api/staff/auth/me", headers=bearer)
        assert expired.status_code == 401 and "log in again" in expired.json()["detail"]


async def test_disabling_a_user_ends_their_sessions(handoff: Handoff) -> None:
    agent = await handoff.staff("fabio", Role.agent)
    admin = await handoff.staff("root", Role.admin)
    async with agent, admin:
        assert (await agent.get("/api/staff/auth/me")).status_code == 200
        patched = await admin.patch("/api/staff/users/fabio", json={"disabled": True})
        assert patched.status_code == 200 and patched.json()["disabled"] is True
        assert (await agent.get("/api/staff/auth/me")).status_code == 401
        async with httpx.AsyncClient(base_url=handoff.url) as client:
            refused = await login(client, "fabio")
        assert refused.status_code == 403 and "disabled" in refused.json()["detail"]


async def test_admin_manages_users_over_the_api(handoff: Handoff) -> None:
    admin = await handoff.staff("root", Role.admin)
    async with admin:
        created = await admin.post(
            "/api/staff/users",
            json={
                "username": "gino",
                "role": "agent",
                "teams": ["sales"],
                "areas": ["Navigli"],
                "password": "a-long-password",
            },
        )
        assert created.status_code == 201 and "password_hash" not in created.json()
        duplicate = await admin.post(
            "/api/staff/users",
            json={"username": "gino", "role": "agent", "password": "a-long-password"},
        )
        assert duplicate.status_code == 409
        bad_team = await admin.post(
            "/api/staff/users",
            json={
                "username": "hugo",
                "role": "agent",
                "teams": ["x"],
                "password": "a-long-password",
            },
        )
        assert bad_team.status_code == 422 and "known teams" in bad_team.json()["detail"]
        names = [u["username"] for u in (await admin.get("/api/staff/users")).json()]
        assert names == ["gino", "root"]


def test_development_secrets_refused_outside_simulator_mode() -> None:
    with pytest.raises(ValidationError, match="HANDOFF_SERVICE_TOKEN"):
        HandoffSettings(_env_file=None, simulator_mode=False)
    with pytest.raises(ValidationError, match="HANDOFF_SESSION_SECRET"):
        HandoffSettings(_env_file=None, simulator_mode=False, service_token=SecretStr("s3cret"))
    assert HandoffSettings(_env_file=None, simulator_mode=True).service_token.get_secret_value()


def test_simulator_mode_follows_the_hub_switch(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HANDOFF_SIMULATOR_MODE", raising=False)
    monkeypatch.setenv("BOT_SIMULATOR_MODE", "false")
    with pytest.raises(ValidationError, match="HANDOFF_SERVICE_TOKEN"):
        HandoffSettings(_env_file=None)
    monkeypatch.setenv("REDIS_URL", "redis://example:6379/3")
    monkeypatch.setenv("BOT_SIMULATOR_MODE", "true")
    assert HandoffSettings(_env_file=None).redis_url == "redis://example:6379/3"


async def test_bootstrap_admin_only_in_simulator_mode(peers, prefix, redis) -> None:  # type: ignore[no-untyped-def]
    settings = make_settings(prefix, peers[0], simulator_mode=True)
    app = create_app(settings)
    async with serve(app) as url, httpx.AsyncClient(base_url=url) as client:
        response = await login(client, "admin", SIMULATOR_ADMIN_PASSWORD)
        assert response.status_code == 200 and response.json()["user"]["role"] == "admin"
    await redis.delete(settings.key_prefix + "users", settings.key_prefix + "user:admin")
    app = create_app(make_settings(prefix, peers[0], simulator_mode=False))
    async with serve(app):
        assert await app.state.handoff.directory.count() == 0
