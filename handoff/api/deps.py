"""FastAPI dependencies: the service state, the service token, staff sessions and roles."""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status

from handoff.api.state import HandoffState
from handoff.models import Role, StaffUser
from handoff.sessions import Session

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def state_of(request: Request) -> HandoffState:
    """The running service (set by ``handoff.api.lifespan``)."""
    state: HandoffState | None = getattr(request.app.state, "handoff", None)
    if state is None:
        raise RuntimeError("handoff is not started; enter handoff.api.lifespan(app) in the app")
    return state


async def get_state(request: Request) -> HandoffState:
    """``state_of`` as a dependency (async: no thread-pool hop per request)."""
    return state_of(request)


StateDep = Annotated[HandoffState, Depends(get_state)]


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def _unauthorized(detail: str) -> HTTPException:
    return HTTPException(
        status.HTTP_401_UNAUTHORIZED, detail=detail, headers={"WWW-Authenticate": "Bearer"}
    )


async def require_service(request: Request, state: StateDep) -> None:
    """Only the action server and the hub (``Authorization: Bearer $HANDOFF_SERVICE_TOKEN``)."""
    token = _bearer(request)
    expected = state.settings.service_token.get_secret_value()
    if token is None or not hmac.compare_digest(token.encode(), expected.encode()):
        raise _unauthorized("send Authorization: Bearer $HANDOFF_SERVICE_TOKEN")


require_service.is_service_auth = True  # type: ignore[attr-defined]
ServiceDep = Depends(require_service)


async def current_session(request: Request, state: StateDep) -> tuple[Session, StaffUser]:
    """The staff session from a bearer token or the session cookie (CSRF-checked)."""
    token = _bearer(request)
    from_cookie = token is None
    if from_cookie:
        token = request.cookies.get(state.settings.session_cookie_name)
    if not token:
        raise _unauthorized("log in first: POST /api/staff/auth/login")
    found = await state.sessions.authenticate(token)
    if found is None:
        raise _unauthorized("your session expired or is not valid; log in again")
    session, user = found
    if from_cookie and request.method not in SAFE_METHODS:
        header = request.headers.get(state.settings.csrf_header_name)
        if not state.sessions.csrf_matches(session, header):
            raise HTTPException(
                status.HTTP_403_FORBIDDEN,
                detail=f"send the {state.settings.csrf_header_name} header with the value of "
                f"the {state.settings.csrf_cookie_name} cookie (or of csrf_token from login)",
            )
    request.state.staff_token = token
    return session, user


async def current_staff(
    found: Annotated[tuple[Session, StaffUser], Depends(current_session)],
) -> StaffUser:
    """Any authenticated staff user."""
    return found[1]


StaffDep = Annotated[StaffUser, Depends(current_staff)]


def roles_allowed(*roles: Role) -> frozenset[Role]:
    """The roles a check for ``roles`` admits: those plus ``admin`` (API and pages alike)."""
    return frozenset(roles) | {Role.admin}


def role_refusal(user: StaffUser, allowed: frozenset[Role]) -> str | None:
    """Why ``user`` may not pass a check admitting ``allowed``, or ``None`` when they may."""
    if user.role in allowed:
        return None
    names = ", ".join(sorted(r.value for r in allowed))
    return f"this needs one of the roles {names}; you are {user.role.value}"


def require_role(*roles: Role) -> Callable[[StaffUser], Awaitable[StaffUser]]:
    """A dependency admitting the given roles (``admin`` is always admitted)."""
    allowed = roles_allowed(*roles)

    async def dependency(user: StaffDep) -> StaffUser:
        refusal = role_refusal(user, allowed)
        if refusal is not None:
            raise HTTPException(status.HTTP_403_FORBIDDEN, detail=refusal)
        return user

    dependency.roles = allowed  # type: ignore[attr-defined]  # read by the roles matrix test
    return dependency


AgentDep = Annotated[StaffUser, Depends(require_role(Role.agent, Role.supervisor))]
SupervisorDep = Annotated[StaffUser, Depends(require_role(Role.supervisor))]
AdminDep = Annotated[StaffUser, Depends(require_role(Role.admin))]
