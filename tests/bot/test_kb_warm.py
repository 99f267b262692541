"""The hub loads the KB encoders and index in the background, without delaying readiness."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import httpx

from bot.api.routes import kb as kb_routes
from bot.config import Settings
from bot.main import create_app
from tests.knowledge_base.helpers import make_settings


async def test_hub_warms_the_knowledge_base_after_it_is_ready(
    tmp_path: Path, redis_server: str, key_prefix: str
) -> None:
    settings = Settings(
        simulator_mode=True,
        redis_url=redis_server,
        key_prefix=key_prefix,
        run_workers=False,
        kb_warm=True,
        public_url="http://hub.test",
    )
    kb_settings = make_settings(tmp_path)
    app = create_app(settings)
    app.dependency_overrides[kb_routes.get_kb_settings] = lambda: kb_settings
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://hub.test") as http:
            # Startup is over and the webhook answers while the encoders are still loading.
            assert getattr(app.state, "kb", None) is None
            assert (await http.get("/webhook", params={"hub.mode": "subscribe"})).status_code < 500
            deadline = time.monotonic() + 120
            while getattr(app.state, "kb", None) is None and time.monotonic() < deadline:
                await asyncio.sleep(0.2)
            state = app.state.kb
            assert state.retriever.answer("a che ora aprite il sabato?", "it").is_answer
            # The editor's first request uses the warmed state instead of loading its own.
            assert await kb_routes.ensure_kb_state(app, kb_settings) is state


async def test_hub_does_not_warm_when_disabled(redis_server: str, key_prefix: str) -> None:
    settings = Settings(
        simulator_mode=True,
        redis_url=redis_server,
        key_prefix=key_prefix,
        run_workers=False,
        kb_warm=False,
        public_url="http://hub.test",
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        assert not [t for t in app.state.background if t.get_name() == "kb-warm"]
