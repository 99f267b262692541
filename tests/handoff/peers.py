"""Real HTTP peers for handoff tests: a hub outbound endpoint, Rasa tracker events, a CRM.

Served by uvicorn on 127.0.0.1 (see ``serve``); every call is recorded for assertions.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse

SERVICE_TOKEN = "test-service-token"


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class _Server(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:  # leave pytest's signal handlers alone
        yield


@contextlib.asynccontextmanager
async def serve(app: Any, port: int | None = None) -> AsyncIterator[str]:
    """Serve an ASGI app with uvicorn in this event loop; yields its base URL."""
    port = port or free_port()
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="warning", timeout_graceful_shutdown=3
    )
    server = _Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
            raise RuntimeError("uvicorn stopped during startup")
        await asyncio.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


@dataclass
class Recorder:
    """What the peers received, and failures to inject."""

    outbound: list[dict[str, Any]] = field(default_factory=list)
    rasa_events: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    crm: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    fail: dict[str, list[int]] = field(default_factory=dict)

    def reset(self) -> None:
        self.outbound.clear()
        self.rasa_events.clear()
        self.crm.clear()
        self.fail.clear()

    def next_failure(self, name: str) -> int | None:
        queue = self.fail.get(name)
        return queue.pop(0) if queue else None


def peer_app(recorder: Recorder) -> FastAPI:
    """The hub's outbound endpoint, Rasa's tracker events endpoint and a CRM receiver."""
    app = FastAPI()

    @app.post("/api/outbound/messages", status_code=202)
    async def outbound(request: Request) -> Response:
        if request.headers.get("authorization") != f"Bearer {SERVICE_TOKEN}":
            return JSONResponse({"detail": "bad token"}, status_code=401)
        failure = recorder.next_failure("outbound")
        if failure:
            return JSONResponse({"detail": "injected"}, status_code=failure)
        body = await request.json()
        recorder.outbound.append(body)
        return JSONResponse({"message_id": f"out-{len(recorder.outbound)}", "queued": True}, 202)

    @app.post("/conversations/{sender}/tracker/events")
    async def tracker_events(sender: str, request: Request) -> Response:
        failure = recorder.next_failure("rasa")
        if failure:
            return JSONResponse({"detail": "injected"}, status_code=failure)
        recorder.rasa_events.append((sender, await request.json()))
        return JSONResponse({"sender_id": sender, "events": []})

    @app.post("/crm/{name}")
    async def crm(name: str, request: Request) -> Response:
        failure = recorder.next_failure("crm")
        if failure:
            return JSONResponse({"detail": "injected"}, status_code=failure)
        recorder.crm.append((dict(request.headers), await request.body()))
        return JSONResponse({"ok": True})

    return app
