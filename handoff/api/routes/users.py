"""Staff user administration (admin only)."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from handoff.api.deps import AdminDep, StateDep
from handoff.api.routing import HandoffRoute
from handoff.api.state import HandoffState
from handoff.models import StaffUser, StaffUserCreate, StaffUserPublic, StaffUserUpdate

router = APIRouter(prefix="/api/staff/users", tags=["staff users"], route_class=HandoffRoute)


@router.get("")
async def list_users(user: AdminDep, state: StateDep) -> list[StaffUserPublic]:
    """All staff users."""
    return [u.public() for u in await state.directory.all()]


@router.post("", status_code=status.HTTP_201_CREATED)
async def create_user(body: StaffUserCreate, user: AdminDep, state: StateDep) -> StaffUserPublic:
    """Add a staff user (password hashed with argon2)."""
    return (await state.directory.create(body)).public()


@router.patch("/{username}")
async def update_user(
    username: str, body: StaffUserUpdate, user: AdminDep, state: StateDep
) -> StaffUserPublic:
    """Change role, teams, areas, password or disable; disabling ends the user's sessions."""
    return (await apply_user_update(state, username, body)).public()


async def apply_user_update(
    state: HandoffState, username: str, body: StaffUserUpdate
) -> StaffUser:
    """Update a user; disabling them or changing the password ends their sessions."""
    updated = await state.directory.update(username, body)
    if body.disabled or body.password is not None:
        await state.sessions.end_all(username)
    return updated


@router.post("/{username}/unlock", status_code=status.HTTP_204_NO_CONTENT)
async def unlock_user(username: str, user: AdminDep, state: StateDep) -> Response:
    """Lift a login lockout."""
    await state.directory.require(username)
    await state.sessions.unlock(username)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
