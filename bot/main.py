"""The hub's FastAPI application: routers, clients and in-process workers."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Annotated, Any

import structlog
from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse
from redis.exceptions import RedisError

from bot.api.routes import (
    contacts,
    dead_letters,
    fake_cloud,
    health,
    kb,
    media,
    outbound,
    simulator,
    templates,
    webhook,
)
from bot.config import Settings, get_settings
from bot.logging import configure_logging
from bot.runtime import Runtime
from handoff.api import Role, require_role
from handoff.api import lifespan as handoff_lifespan
from handoff.api import router as handoff_router

log = structlog.get_logger(__name__)

_require_editor = require_role(Role.editor)


async def _staff_editor(user: Annotated[Any, Depends(_require_editor)]) -> str:
    """The knowledge-base editor API is for staff with the editor role (or admins)."""
    return str(user.username)


@contextlib.asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Create clients, start workers, and close everything on shutdown."""
    settings: Settings = app.state.settings
    runtime = Runtime.create(settings)
    state = app.state
    state.runtime = runtime
    state.keys, state.redis, state.http = runtime.keys, runtime.redis, runtime.http
    state.rasa, state.whatsapp = runtime.rasa, runtime.whatsapp
    state.background = set()
    async with handoff_lifespan(app):
        if settings.run_workers:
            runtime.start_workers()
        log.info("hub.started", simulator=settings.simulator_mode, url=settings.public_url)
        try:
            yield
        finally:
            for task in list(state.background):
                task.cancel()
            await runtime.close()


async def _storage_unavailable(request: Request, exc: Exception) -> JSONResponse:
    """Redis unreachable (e.g. restarting): 503 with a reason, so callers retry; never a 500."""
    log.error("hub.redis_unavailable", path=request.url.path, error=repr(exc))
    return JSONResponse(
        {"detail": "storage unavailable; retry later"},
        status_code=503,
        headers={"Retry-After": "1"},
    )


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the hub; ``settings`` overrides the environment (tests)."""
    settings = settings or get_settings()
    configure_logging()
    app = FastAPI(title="wabot hub", version="0.1.0", lifespan=lifespan)
    app.state.settings = settings
    app.add_exception_handler(RedisError, _storage_unavailable)
    app.dependency_overrides[get_settings] = lambda: settings
    for module in (health, webhook, outbound, contacts, media, dead_letters, templates, kb):
        app.include_router(module.router)
    app.dependency_overrides[kb.get_kb_editor] = _staff_editor
    if settings.simulator_mode:
        app.include_router(fake_cloud.router)
        app.include_router(simulator.router)
    app.include_router(handoff_router)
    return app
