"""Session cookies: HttpOnly, SameSite, Secure when staff reach the hub over HTTPS."""

from __future__ import annotations

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
