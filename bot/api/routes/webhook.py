"""The WhatsApp webhook: verify, check the signature, parse, dedupe, enqueue, answer 200."""

from __future__ import annotations

from typing import Annotated, Any

import pydantic_core
import structlog
from fastapi import APIRouter, Header, HTTPException, Query, Request, status
from fastapi.responses import PlainTextResponse
from pydantic import ValidationError
from redis.asyncio import Redis
from redis.exceptions import RedisError

from bot import inbound
from bot.api.deps import SettingsDep
from bot.config import Settings
from bot.keys import Keys
from bot.metrics import WEBHOOK_LATENCY
from bot.statuses import apply_status
from bot.whatsapp.consent import apply_preference
from bot.whatsapp.models import Envelope
from bot.whatsapp.signature import is_valid_signature

log = structlog.get_logger(__name__)

router = APIRouter(prefix="/webhook", tags=["whatsapp"])


@router.get("", response_class=PlainTextResponse)
async def verify(
    settings: SettingsDep,
    mode: Annotated[str | None, Query(alias="hub.mode")] = None,
    token: Annotated[str | None, Query(alias="hub.verify_token")] = None,
    challenge: Annotated[str | None, Query(alias="hub.challenge")] = None,
) -> str:
    """Meta's subscription check: echo the challenge when the verify token matches."""
    expected = settings.whatsapp_verify_token.get_secret_value()
    if mode == "subscribe" and token is not None and challenge is not None and token == expected:
        return challenge
    raise HTTPException(status.HTTP_403_FORBIDDEN, "verification failed")


def hot_path_state(request: Request) -> tuple[Settings, Redis, Keys]:
    """Settings, Redis and keys straight from ``app.state`` (created in the lifespan).

    The dependencies in ``bot/api/deps.py`` are plain functions, which FastAPI runs in a thread
    pool: three thread hops per delivery on the hottest path of the hub.
    """
    state = request.app.state
    return state.settings, state.redis, state.keys


async def _read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise HTTPException(status.HTTP_413_CONTENT_TOO_LARGE, "body too large")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise HTTPException(status.HTTP_413_CONTENT_TOO_LARGE, "body too large")
        chunks.append(chunk)
    return b"".join(chunks)


def _parse(body: bytes) -> Envelope | None:
    """Parse the envelope; None (logged, answered 200) when the JSON has an unknown shape."""
    try:
        document: Any = pydantic_core.from_json(body)
    except ValueError as exc:  # not JSON, not UTF-8, lone surrogates, nesting too deep
        log.warning("webhook.malformed_json", error=str(exc))
        raise HTTPException(status.HTTP_400_BAD_REQUEST, f"body is not JSON: {exc}") from exc
    try:
        return Envelope.model_validate(document)
    except ValidationError as exc:
        log.warning("webhook.unknown_shape", errors=exc.error_count(), sample=str(body[:300]))
        return None


async def _apply(delivery: inbound.Delivery, redis: Redis, keys: Keys, settings: Settings) -> int:
    """Enqueue the messages, then record statuses and consent changes; returns accepted."""
    accepted = 0
    if delivery.items:
        accepted = await inbound.enqueue_all(
            redis,
            keys=keys,
            items=delivery.items,
            shards=settings.inbound_shards,
            dedupe_ttl_s=settings.dedupe_ttl_s,
        )
    for item_status in delivery.statuses:
        await apply_status(
            redis,
            keys=keys,
            status=item_status,
            shards=settings.outbound_shards,
            ttl_s=settings.dedupe_ttl_s,
        )
    for preference in delivery.preferences:
        await apply_preference(redis, keys=keys, preference=preference)
    for error in delivery.errors:
        log.error("webhook.meta_error", error=error.describe())
    return accepted


@router.post("")
async def receive(
    request: Request,
    signature: Annotated[str | None, Header(alias="X-Hub-Signature-256")] = None,
) -> dict[str, int]:
    """Accept one delivery: 200 once its messages are safely in the inbound streams."""
    with WEBHOOK_LATENCY.time():
        return await _receive(request, signature)


async def _receive(request: Request, signature: str | None) -> dict[str, int]:
    settings, redis, keys = hot_path_state(request)
    body = await _read_body(request, settings.max_body_bytes)
    secret = settings.whatsapp_app_secret.get_secret_value()
    if not is_valid_signature(body, signature, secret):
        log.warning("webhook.bad_signature", present=signature is not None)
        raise HTTPException(status.HTTP_403_FORBIDDEN, "invalid X-Hub-Signature-256")
    envelope = _parse(body)
    if envelope is None:
        return {"accepted": 0, "duplicates": 0, "statuses": 0, "preferences": 0}
    delivery = inbound.parse_delivery(envelope)
    try:
        accepted = await _apply(delivery, redis, keys, settings)
    except RedisError as exc:  # not 200: Meta retries the delivery later
        log.error("webhook.redis_unavailable", error=repr(exc))
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE, "storage unavailable; retry later"
        ) from exc
    return {
        "accepted": accepted,
        "duplicates": len(delivery.items) - accepted,
        "statuses": len(delivery.statuses),
        "preferences": len(delivery.preferences),
    }
