"""Canned replies: agents read them, supervisors edit them."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from handoff.api.deps import AgentDep, StateDep, SupervisorDep
from handoff.api.routing import HandoffRoute
from handoff.errors import InvalidRequestError
from handoff.models import CannedReply, CannedReplyIn, Language

router = APIRouter(
    prefix="/api/staff/canned", tags=["staff canned replies"], route_class=HandoffRoute
)


@router.get("")
async def list_canned(
    user: AgentDep, state: StateDep, language: Language | None = None, team: str | None = None
) -> list[CannedReply]:
    """Quick replies, optionally for one language/team."""
    return await state.canned.search(language=language, team=team)


@router.put("/{canned_id}")
async def put_canned(
    canned_id: str, body: CannedReplyIn, user: SupervisorDep, state: StateDep
) -> CannedReply:
    """Create or replace a quick reply (placeholders are checked)."""
    if body.id != canned_id:
        raise InvalidRequestError(
            f"the body's id {body.id!r} differs from the path's {canned_id!r}"
        )
    return await state.canned.put(body)


@router.delete("/{canned_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_canned(canned_id: str, user: SupervisorDep, state: StateDep) -> Response:
    """Delete a quick reply."""
    await state.canned.delete(canned_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
