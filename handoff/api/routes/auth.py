"""Staff login, logout, the current user and presence."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response, status

from handoff.api.deps import AgentDep, StaffDep, StateDep, current_session
from handoff.api.routing import HandoffRoute
from handoff.config import HandoffSettings
from handoff.models import LoginRequest, LoginResponse, PresenceUpdate, StaffUserPublic
from handoff.sessions import Session

router = APIRouter(prefix="/api/staff", tags=["staff auth"], route_class=HandoffRoute)


def set_session_cookies(
    response: Response, settings: HandoffSettings, token: str, session: Session
) -> None:
    """The session cookie (HttpOnly) and the CSRF cookie of a new session (API and pages)."""
    max_age = settings.session_ttl_minutes * 60
    common = {"max_age": max_age, "secure": settings.secure_cookies, "samesite": "lax", "path": "/"}
    response.set_cookie(settings.session_cookie_name, token, httponly=True, **common)  # type: ignore[arg-type]
    response.set_cookie(settings.csrf_cookie_name, session.csrf_token, httponly=False, **common)  # type: ignore[arg-type]


def clear_session_cookies(response: Response, settings: HandoffSettings) -> None:
    """Remove both session cookies (logout)."""
    response.delete_cookie(settings.session_cookie_name, path="/")
    response.delete_cookie(settings.csrf_cookie_name, path="/")


@router.post("/auth/login")
async def login(body: LoginRequest, state: StateDep, response: Response) -> LoginResponse:
    """Check the password; sets the session (HttpOnly) and CSRF cookies, returns a token."""
    token, session, user = await state.sessions.login(body.username, body.password)
    set_session_cookies(response, state.settings, token, session)
    return LoginResponse(
        token=token,
        csrf_token=session.csrf_token,
        expires_at=session.expires_at,
        user=user.public(),
    )


@router.post("/auth/logout", status_code=status.HTTP_204_NO_CONTENT)
async def logout(
    request: Request,
    state: StateDep,
    found: Annotated[tuple[Session, object], Depends(current_session)],
) -> Response:
    """End this session and clear the cookies."""
    await state.sessions.logout(request.state.staff_token)
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    clear_session_cookies(response, state.settings)
    return response


@router.get("/auth/me")
async def me(user: StaffDep) -> StaffUserPublic:
    """Who is logged in."""
    return user.public()


@router.put("/me/presence")
async def set_presence(body: PresenceUpdate, user: AgentDep, state: StateDep) -> StaffUserPublic:
    """Go online (tickets are assigned to you) or offline."""
    updated = await state.directory.set_online(user.username, body.online)
    if body.online:
        await state.tickets.assign_queued(updated.teams or None)
    return updated.public()
