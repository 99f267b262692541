"""Public API of the handoff service for the hub (``bot/main.py``) and for tests.

The hub does ``app.include_router(router)`` and, inside its own lifespan,
``async with lifespan(app): ...``. Hub pages and APIs protect themselves with
``Depends(require_role(Role.editor))`` or ``StaffDep`` (any logged-in staff user).
"""

from handoff.api.deps import StaffDep, get_state, require_role, require_service, state_of
from handoff.api.main import create_app, lifespan, router
from handoff.api.state import HandoffState
from handoff.config import HandoffSettings, get_settings
from handoff.models import Role, StaffUser, StaffUserPublic

__all__ = [
    "HandoffSettings",
    "HandoffState",
    "Role",
    "StaffDep",
    "StaffUser",
    "StaffUserPublic",
    "create_app",
    "get_settings",
    "get_state",
    "state_of",
    "lifespan",
    "require_role",
    "require_service",
    "router",
]
