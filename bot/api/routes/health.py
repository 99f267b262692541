"""Liveness and readiness."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response, status
from redis.exceptions import RedisError

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


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
