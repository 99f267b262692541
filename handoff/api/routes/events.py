"""Server-sent events of queue changes for the staff console."""

from __future__ import annotations

from collections.abc import AsyncIterable
from typing import Annotated

from fastapi import APIRouter, Header
from fastapi.sse import EventSourceResponse, ServerSentEvent

from handoff.api.deps import AgentDep, StateDep
from handoff.api.routing import HandoffRoute
from handoff.events import follow, start_id

router = APIRouter(prefix="/api/staff", tags=["staff events"], route_class=HandoffRoute)


@router.get("/events", response_class=EventSourceResponse)
async def queue_events(
    user: AgentDep,
    state: StateDep,
    team: str | None = None,
    last_event_id: Annotated[str | None, Header()] = None,
) -> AsyncIterable[ServerSentEvent]:
    """``ticket.*`` events (QueueEvent JSON); reconnect with ``Last-Event-ID`` to resume."""
    after = await start_id(state.redis, state.keys, last_event_id)
    yield ServerSentEvent(comment="connected", retry=3000)
    async for item in follow(
        state.redis, state.keys, after, max_seconds=state.settings.sse_max_seconds, team=team
    ):
        yield ServerSentEvent(id=item.id, event=item.type, raw_data=item.event.model_dump_json())
