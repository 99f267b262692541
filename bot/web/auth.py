"""Page dependencies: who is logged in, which role a page needs, and CSRF for forms.

Same rules as the staff API (``handoff.api.deps``): the ``wabot_session`` cookie names the
session; ``admin`` passes every role check; a POST must carry the session's CSRF token, in the
form field ``csrf_token`` or the ``X-CSRF-Token`` header. A page answers differently from the
API: anonymous readers are redirected to ``/login?next=...`` and the wrong role gets a 403 page.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, Request

from handoff.api import Role, StaffUser
from handoff.api.deps import SAFE_METHODS, StateDep, role_refusal, roles_allowed
from handoff.api.state import HandoffState
from handoff.sessions import Session

CSRF_FIELD = "csrf_token"


class LoginRequiredError(Exception):
    """No valid session: the page redirects to the login form."""

    def __init__(self, next_url: str) -> None:
        """Remember where to come back after login."""
        super().__init__(next_url)
        self.next_url = next_url

    @property
    def login_url(self) -> str:
        """``/login?next=...``."""
        return f"/login?next={quote(self.next_url, safe='')}"


class PageForbiddenError(Exception):
    """Logged in, but the page is not for this role, or the form's CSRF token is wrong."""

    def __init__(self, reason: str) -> None:
        """Keep the reason shown on the 403 page."""
        super().__init__(reason)
        self.reason = reason


def safe_next(target: str | None, default: str) -> str:
    """A local path to go back to (never another site: ``//x`` or ``https://x`` are refused)."""
    if target and target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return default


async def page_session(request: Request, state: HandoffState) -> tuple[Session, StaffUser]:
    """The session of the cookie, or ``LoginRequiredError``."""
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    token = request.cookies.get(state.settings.session_cookie_name)
    found = await state.sessions.authenticate(token) if token else None
    if found is None:
        raise LoginRequiredError(here if request.method in SAFE_METHODS else request.url.path)
    return found


async def check_csrf(request: Request, state: HandoffState, session: Session) -> None:
    """A POST from a page must carry the session's CSRF token (field or header)."""
    sent = request.headers.get(state.settings.csrf_header_name)
    if not sent and "form" in request.headers.get("content-type", ""):
        sent = str((await request.form()).get(CSRF_FIELD) or "")
    if not state.sessions.csrf_matches(session, sent):
        raise PageForbiddenError("csrf")


def page_user(*roles: Role) -> Callable[[Request, HandoffState], Awaitable[StaffUser]]:
    """A page dependency admitting ``roles`` (no roles: any staff user; admins always)."""
    allowed = roles_allowed(*roles) if roles else frozenset(Role)

    async def dependency(request: Request, state: StateDep) -> StaffUser:
        session, user = await page_session(request, state)
        request.state.staff_user = user
        request.state.csrf_token = session.csrf_token
        request.state.staff_token = request.cookies.get(state.settings.session_cookie_name)
        refusal = role_refusal(user, allowed)
        if refusal is not None:
            raise PageForbiddenError(refusal)
        if request.method not in SAFE_METHODS:
            await check_csrf(request, state, session)
        return user

    dependency.roles = allowed  # type: ignore[attr-defined]  # read by the page matrix test
    return dependency


StaffPage = Annotated[StaffUser, Depends(page_user())]
AgentPage = Annotated[StaffUser, Depends(page_user(Role.agent, Role.supervisor))]
SupervisorPage = Annotated[StaffUser, Depends(page_user(Role.supervisor))]
EditorPage = Annotated[StaffUser, Depends(page_user(Role.editor))]
AdminPage = Annotated[StaffUser, Depends(page_user(Role.admin))]
