"""ASGI guards of the hub: a body limit on every endpoint and per-IP rate limits.

Both are plain ASGI middlewares (no response buffering): the body limit refuses a declared
``Content-Length`` over the limit at once and stops a chunked body as soon as it passes it;
the rate limits count requests of one source IP in fixed one-minute windows in Redis (shared
by every hub replica) and answer 429 with ``Retry-After``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import structlog
from fastapi import HTTPException, status
from redis.exceptions import RedisError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.config import Settings
from bot.keys import Keys

log = structlog.get_logger(__name__)

WINDOW_S = 60
SIMULATOR_UPLOAD_BYTES = 100 * 1024 * 1024  # the fake Cloud API's media uploads


async def _answer(
    send: Send, code: int, detail: str, headers: dict[str, str] | None = None
) -> None:
    body = json.dumps({"detail": detail}).encode()
    raw = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    raw += [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": code, "headers": raw})
    await send({"type": "http.response.body", "body": body})


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return str(value.decode("latin-1"))
    return None


class BodyLimit:
    """Refuse request bodies over the limit with 413 (``BOT_MAX_BODY_BYTES``)."""

    def __init__(self, app: ASGIApp, limit_for: Callable[[str], int]) -> None:
        self.app = app
        self.limit_for = limit_for

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Check the declared length, then count the bytes actually received."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        declared = _header(scope, b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await _answer(send, 413, f"body too large: the limit is {limit} bytes")
            return
        received = 0

        async def limited() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > limit:
                raise HTTPException(
                    status.HTTP_413_CONTENT_TOO_LARGE, f"body too large: the limit is {limit} bytes"
                )
            return message

        await self.app(scope, limited, send)


@dataclass(frozen=True, slots=True)
class Limit:
    """A request budget per source IP and minute for one method and path."""

    scope: str
    method: str
    path: str
    per_minute: int


def limits_of(settings: Settings) -> list[Limit]:
    """The hub's rate limits: the webhook and the staff login."""
    return [
        Limit("webhook", "POST", "/webhook", settings.webhook_rate_per_min),
        Limit("login", "POST", "/api/staff/auth/login", settings.login_rate_per_min),
    ]


def client_ip(scope: Scope, trust_forwarded_for: bool) -> str:
    """The source IP (the first ``X-Forwarded-For`` hop only when told to trust it)."""
    forwarded = _header(scope, b"x-forwarded-for") if trust_forwarded_for else None
    if forwarded:
        return forwarded.split(",")[0].strip()
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


class RateLimit:
    """429 with ``Retry-After`` once a source IP spent its budget for the current minute."""

    def __init__(self, app: ASGIApp, settings: Settings, keys: Keys) -> None:
        self.app = app
        self.settings = settings
        self.keys = keys
        self.limits = {(lim.method, lim.path): lim for lim in limits_of(settings)}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Count the request against its limit, if any, before the app sees it."""
        limit = self.limits.get((scope.get("method", ""), scope.get("path", "")))
        if scope["type"] == "http" and limit is not None:
            retry_after = await self._spend(scope, limit)
            if retry_after:
                headers = {"Retry-After": str(retry_after)}
                detail = f"too many requests from your address; retry in {retry_after} s"
                await _answer(send, 429, detail, headers)
                return
        await self.app(scope, receive, send)

    async def _spend(self, scope: Scope, limit: Limit) -> int:
        """Seconds to wait when over the budget, else 0 (fails open when Redis is down)."""
        now = time.time()
        window = int(now // WINDOW_S)
        ip = client_ip(scope, self.settings.trust_forwarded_for)
        key = self.keys.ip_window(limit.scope, ip, window)
        redis: Any = scope["app"].state.redis
        try:
            pipe = redis.pipeline(transaction=False)  # EXPIRE is repeated: no MULTI needed
            pipe.incr(key)
            pipe.expire(key, WINDOW_S * 2)
            count, _ = await pipe.execute()
        except RedisError as exc:
            log.warning("ratelimit.redis_unavailable", error=repr(exc))
            return 0
        if int(count) <= limit.per_minute:
            return 0
        return max(1, int((window + 1) * WINDOW_S - now + 0.999))


def body_limit_for(settings: Settings) -> Callable[[str], int]:
    """The body limit of a path (the simulator's media uploads may be larger)."""

    def limit(path: str) -> int:
        if settings.simulator_mode and path.startswith("/fake-cloud/"):
            return SIMULATOR_UPLOAD_BYTES
        return settings.max_body_bytes

    return limit
