"""The hub's FastAPI application: routers, clients and in-process workers."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Annotated, Any

import structlog
from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse
from redis.exceptions import RedisError

from bot.api.guards import BodyLimit, RateLimit, body_limit_for
from bot.api.routes import (
    contacts,
    dead_letters,
    fake_cloud,
    gdpr,
    health,
    kb,
    media,
    outbound,
    simulator,
    templates,
    webhook,
)
from bot.config import Settings, get_settings
from bot.gdpr import ContactData
from bot.keys import Keys
from bot.logging import configure_logging
from bot.retention import run_retention_forever
from bot.runtime import Runtime
from bot.web import install as install_web_pages
from bot.whatsapp.template_overrides import TemplateOverrides
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
    state.contact_data = ContactData(
        redis=runtime.redis, keys=runtime.keys, settings=settings, handoff=runtime.handoff
    )
    state.template_catalog = await TemplateOverrides(runtime.redis, runtime.keys).catalog()
    async with handoff_lifespan(app):
        if settings.handoff_base.rstrip("/") == settings.public_url.rstrip("/"):
            runtime.handoff.use_local(app.state.handoff.tickets)  # the service is this process
        if settings.run_workers:
            runtime.start_workers()
        if settings.retention_interval_s > 0:
            retention = run_retention_forever(state.contact_data, settings.retention_interval_s)
            state.background.add(asyncio.create_task(retention, name="retention"))
        if settings.kb_warm:
            warming = asyncio.create_task(kb.warm_kb_state(app), name="kb-warm")
            state.background.add(warming)
            warming.add_done_callback(state.background.discard)
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
    for module in (health, webhook, outbound, contacts, media, dead_letters, templates, kb, gdpr):
        app.include_router(module.router)
    app.dependency_overrides[kb.get_kb_editor] = _staff_editor
    if settings.simulator_mode:
        app.include_router(fake_cloud.router)
        app.include_router(simulator.router)
    app.include_router(handoff_router)
    install_web_pages(app)
    app.add_middleware(RateLimit, settings=settings, keys=Keys(settings.key_prefix))
    app.add_middleware(BodyLimit, limit_for=body_limit_for(settings))
    return app
