"""The handoff router, its lifespan, and a standalone app for tests and local runs."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial

from fastapi import APIRouter, FastAPI

from handoff.api.routes import auth, canned, events, reports, service, tickets, users
from handoff.api.state import (
    HandoffState,
    build_state,
    close_state,
    deliver_outbound,
    deliver_rasa,
    seed,
)
from handoff.config import HandoffSettings, get_settings
from handoff.outbox import Deliver, JobKind, run_outbox_forever
from handoff.workers import run_monitor_forever

router = APIRouter()
for _module in (service, auth, tickets, canned, users, reports, events):
    router.include_router(_module.router)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[HandoffState]:
    """Start the handoff service on ``app`` (clients, seed data, background tasks).

    Settings come from ``app.state.handoff_settings`` when set, else ``get_settings()``.
    """
    settings: HandoffSettings = getattr(app.state, "handoff_settings", None) or get_settings()
    state = await build_state(settings)
    try:
        await seed(state)
        state.tasks.append(
            asyncio.create_task(
                run_monitor_forever(state.tickets, settings.check_interval_seconds, state.stop),
                name="handoff-monitor",
            )
        )
        deliverers: dict[JobKind, Deliver] = {
            "crm": state.crm_deliverer,
            "rasa": partial(deliver_rasa, state),
            "outbound": partial(deliver_outbound, state),
        }
        state.tasks.append(
            asyncio.create_task(
                run_outbox_forever(
                    state.outbox, deliverers, settings.outbox_poll_seconds, state.stop
                ),
                name="handoff-outbox",
            )
        )
        app.state.handoff = state
        yield state
    finally:
        await close_state(state)
        app.state.handoff = None


def create_app(settings: HandoffSettings | None = None) -> FastAPI:
    """A standalone FastAPI app serving only the handoff API."""

    @asynccontextmanager
    async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with lifespan(app):
            yield

    app = FastAPI(
        title="wabot handoff",
        summary="Tickets, queue, SLA, assignment, summaries and the staff API",
        lifespan=_lifespan,
    )
    app.state.handoff_settings = settings
    app.include_router(router)
    return app
