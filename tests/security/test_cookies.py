"""Session cookies: HttpOnly, SameSite, Secure when staff reach the hub over HTTPS."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from handoff.config import HandoffSettings
from tests.security.conftest import ADMIN, HubFactory


def _session_cookie(set_cookies: list[str]) -> str:
    return next(c for c in set_cookies if c.startswith("wabot_session="))


def test_secure_cookies_follow_the_public_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOT_PUBLIC_URL", "https://wabot.example.com")
    assert HandoffSettings().secure_cookies is True
    monkeypatch.setenv("BOT_PUBLIC_URL", "http://127.0.0.1:8000")
    assert HandoffSettings().secure_cookies is False
    assert HandoffSettings(cookie_secure=True).secure_cookies is True


@pytest.mark.parametrize(("public_url", "secure"), [("https://wabot.example.com", True),
                                                   ("http://127.0.0.1:8000", False)])
async def test_login_sets_secure_cookie_only_over_https(
    hub: HubFactory, public_url: str, secure: bool
) -> None:
    async with hub(handoff={"public_url": public_url}) as (_, http):
        login = await http.post("/api/staff/auth/login", json=ADMIN)
        assert login.status_code == 200
        cookie = _session_cookie(login.headers.get_list("set-cookie"))
        assert ("Secure" in cookie) is secure
        assert "HttpOnly" in cookie and "samesite=lax" in cookie.lower()
        assert "Max-Age=" in cookie, "the session cookie expires with the session"


async def test_a_session_past_its_expiry_is_refused_even_if_its_key_survived(
    hub: HubFactory,
) -> None:
    """E.g. a restore from a backup that lost the TTLs: the stored expiry still rules."""
    async with hub() as (app, http):
        login = (await http.post("/api/staff/auth/login", json=ADMIN)).json()
        http.cookies.clear()
        headers = {"Authorization": f"Bearer {login['token']}"}
        assert (await http.get("/api/staff/auth/me", headers=headers)).status_code == 200
        redis, keys = app.state.handoff.redis, app.state.handoff.keys
        [key] = [k async for k in redis.scan_iter(match=keys.session("*"))]
        stored = json.loads(await redis.get(key))
        stored["expires_at"] = (datetime.now(tz=UTC) - timedelta(minutes=1)).isoformat()
        await redis.set(key, json.dumps(stored))
        expired = await http.get("/api/staff/auth/me", headers=headers)
        assert expired.status_code == 401 and "log in again" in expired.json()["detail"]
