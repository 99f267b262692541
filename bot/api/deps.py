"""FastAPI dependencies of the hub: settings, Redis, clients, service authentication.

All are ``async def``: FastAPI runs plain-function dependencies in a thread pool, a thread hop
per dependency per request, which showed up in profiles of the hub under load.
"""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, Header, HTTPException, Request, status
from redis.asyncio import Redis

from bot.config import Settings, get_settings
from bot.keys import Keys


async def get_app_settings(request: Request) -> Settings:
    """The hub's settings (``create_app`` puts them on ``app.state``), else the environment's."""
    settings: Settings | None = getattr(request.app.state, "settings", None)
    return settings if settings is not None else get_settings()


SettingsDep = Annotated[Settings, Depends(get_app_settings)]


async def get_redis(request: Request) -> Redis:
    """The hub's Redis client, created in the lifespan."""
    redis: Redis = request.app.state.redis
    return redis


async def get_keys(request: Request) -> Keys:
    """The hub's key builder."""
    keys: Keys = request.app.state.keys
    return keys


RedisDep = Annotated[Redis, Depends(get_redis)]
KeysDep = Annotated[Keys, Depends(get_keys)]


async def require_service_token(
    settings: SettingsDep, authorization: Annotated[str | None, Header()] = None
) -> None:
    """Only the action server and the handoff service may call internal endpoints."""
    expected = f"Bearer {settings.service_token.get_secret_value()}"
    if authorization is None or not hmac.compare_digest(authorization, expected):
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "a valid service token is required (Authorization: Bearer $BOT_SERVICE_TOKEN)",
        )


ServiceDep = Annotated[None, Depends(require_service_token)]
