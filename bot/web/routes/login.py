"""Login, logout and the language switch."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from bot.web.auth import StaffPage, safe_next
from bot.web.errors import PageRoute
from bot.web.i18n import LANG_COOKIE, LANGUAGES
from bot.web.nav import home_for
from bot.web.templating import render
from handoff.api.deps import StateDep
from handoff.api.routes.auth import clear_session_cookies, set_session_cookies
from handoff.errors import HandoffError

router = APIRouter(tags=["staff pages"], route_class=PageRoute, include_in_schema=False)
YEAR = 365 * 24 * 3600


@router.get("/login", response_class=HTMLResponse)
async def login_form(request: Request, next: str | None = None) -> Response:
    """The login form."""
    return render(request, "login.html", next=safe_next(next, ""), error=None, username="")


@router.post("/login")
async def login(
    request: Request,
    state: StateDep,
    username: Annotated[str, Form(max_length=64)] = "",
    password: Annotated[str, Form(max_length=256)] = "",
    next: Annotated[str, Form()] = "",
) -> Response:
    """Check the password, set the session cookies and go to ``next`` or the user's page."""
    try:
        token, session, user = await state.sessions.login(username, password)
    except HandoffError as exc:
        return render(
            request,
            "login.html",
            status_code=exc.status_code,
            next=safe_next(next, ""),
            error=str(exc),
            username=username,
        )
    response = RedirectResponse(safe_next(next, home_for(user)), status_code=303)
    set_session_cookies(response, state.settings, token, session)
    return response


@router.post("/logout")
async def logout(request: Request, user: StaffPage, state: StateDep) -> Response:
    """End the session (the form carries the CSRF token) and go back to the login form."""
    await state.sessions.logout(request.state.staff_token)
    response = RedirectResponse("/login", status_code=303)
    clear_session_cookies(response, state.settings)
    return response


@router.get("/lang/{language}")
async def switch_language(language: str, next: str | None = None) -> Response:
    """Remember the chosen language in a cookie and go back."""
    if language not in LANGUAGES:
        return Response(f"unknown language {language!r}; use one of {LANGUAGES}", 404)
    response = RedirectResponse(safe_next(next, "/login"), status_code=303)
    response.set_cookie(LANG_COOKIE, language, max_age=YEAR, samesite="lax", path="/")
    return response


@router.get("/staff")
async def staff_home(user: StaffPage) -> Response:
    """The logged-in user's first page."""
    return RedirectResponse(home_for(user), status_code=303)
