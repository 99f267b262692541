"""Liveness and readiness."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request, Response, status
from fastapi.responses import PlainTextResponse
from redis.exceptions import RedisError

from bot.metrics import render

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@router.get("/metrics", response_class=PlainTextResponse)
async def metrics(request: Request) -> Response:
    """Prometheus metrics of the hub and the handoff service (text exposition format)."""
    state = request.app.state
    try:
        body, content_type = await render(state.redis, state.keys, state.settings)
    except RedisError as exc:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, f"Redis: {exc}") from exc
    return Response(content=body, media_type=content_type)


@router.get("/readyz")
async def readyz(request: Request, response: Response) -> dict[str, bool]:
    """Redis, Rasa (with a model) and the action server all answer."""
    state = request.app.state
    checks = {"redis": False, "rasa": False, "actions": False}
    try:
        checks["redis"] = bool(await state.redis.ping())
    except RedisError:
        pass
    checks["rasa"] = await state.rasa.is_ready()
    try:
        reply = await state.http.get(f"{state.settings.actions_url}/health", timeout=2.0)
        checks["actions"] = reply.status_code == 200
    except Exception:  # noqa: BLE001 - any failure means "not ready"
        checks["actions"] = False
    if not all(checks.values()):
        response.status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    return checks
