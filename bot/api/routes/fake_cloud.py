"""A fake WhatsApp Cloud API (simulator mode): records sends, returns wamids, posts statuses.

It answers like Meta's Graph API for the calls the hub makes, and can be told to fail the
next requests (429, 500, 131047...) so retries and dead letters can be exercised locally.
"""

from __future__ import annotations

import asyncio
import base64
import json
import secrets
import time
from typing import Annotated, Any

import httpx
import structlog
from fastapi import APIRouter, HTTPException, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict

from bot.api.deps import KeysDep, RedisDep, SettingsDep
from bot.config import Settings
from bot.simulator import status_envelope, webhook_request

log = structlog.get_logger(__name__)

router = APIRouter(prefix="/fake-cloud", tags=["simulator"])


class Failure(BaseModel):
    """A failure the fake API will answer to the next ``count`` sends."""

    model_config = ConfigDict(extra="forbid")

    status: int = 429
    code: int = 130429
    message: str = "Rate limit hit"
    count: int = 1


def new_wamid() -> str:
    """A wamid shaped like Meta's (base64 of an opaque id)."""
    return "wamid." + base64.b64encode(secrets.token_bytes(30)).decode().rstrip("=")


@router.post("/_control/failures", status_code=204)
async def add_failures(failure: Failure, redis: RedisDep, keys: KeysDep) -> None:
    """Make the next ``count`` sends fail with ``status``/``code``."""
    entry = failure.model_dump_json()
    for _ in range(failure.count):
        await redis.rpush(keys.fake_failures(), entry)


@router.get("/_sent")
async def sent(
    redis: RedisDep, keys: KeysDep, to: Annotated[str | None, Query()] = None, start: int = 0
) -> list[dict[str, Any]]:
    """Everything the fake API accepted, oldest first (optionally for one recipient)."""
    rows = [json.loads(r) for r in await redis.lrange(keys.fake_sent(), start, -1)]
    return [r for r in rows if to is None or r["to"] == to.lstrip("+")]


@router.delete("/_sent", status_code=204)
async def reset(redis: RedisDep, keys: KeysDep) -> None:
    """Forget recorded sends and pending failures."""
    await redis.delete(keys.fake_sent(), keys.fake_failures())


async def _post_statuses(settings: Settings, to: str, wamid: str) -> None:
    """Send sent → delivered → read webhooks back to the hub, signed like Meta's."""
    async with httpx.AsyncClient(timeout=5.0) as http:
        for kind in ("sent", "delivered", "read"):
            await asyncio.sleep(0.05)
            body = status_envelope(settings, wamid=wamid, recipient=to, status=kind)
            url, headers, content = webhook_request(settings, body)
            try:
                await http.post(url, headers=headers, content=content)
            except httpx.TransportError as exc:
                log.info("fake_cloud.status_not_delivered", error=repr(exc))
                return


@router.post("/{version}/{phone_number_id}/messages")
async def send_message(
    version: str,
    phone_number_id: str,
    request: Request,
    redis: RedisDep,
    keys: KeysDep,
    settings: SettingsDep,
) -> Response:
    """Accept a message like the Cloud API does (or fail as instructed)."""
    if not request.headers.get("authorization", "").startswith("Bearer "):
        return _error(401, 190, "Invalid OAuth access token")
    failure = await redis.lpop(keys.fake_failures())
    if failure is not None:
        f = Failure.model_validate_json(failure)
        return _error(f.status, f.code, f.message)
    payload = await request.json()
    to = str(payload.get("to", "")).lstrip("+")
    if not to or "type" not in payload:
        return _error(400, 100, "Invalid parameter")
    wamid = new_wamid()
    record = {
        "wamid": wamid,
        "to": to,
        "payload": payload,
        "ts": time.time(),
        "phone_number_id": phone_number_id,
    }
    await redis.rpush(keys.fake_sent(), json.dumps(record))
    task = asyncio.create_task(_post_statuses(settings, to, wamid))
    request.app.state.background.add(task)
    task.add_done_callback(request.app.state.background.discard)
    return JSONResponse(
        {
            "messaging_product": "whatsapp",
            "contacts": [{"input": to, "wa_id": to}],
            "messages": [{"id": wamid}],
        }
    )


@router.get("/{version}/{media_id}")
async def media_info(
    version: str, media_id: str, redis: RedisDep, keys: KeysDep, settings: SettingsDep
) -> dict[str, str]:
    """Where to download a media object."""
    if not await redis.exists(keys.fake_media(media_id)):
        raise HTTPException(404, "media not found")
    mime = await redis.hget(keys.fake_media(media_id), "mime") or "application/octet-stream"
    return {
        "url": f"{settings.cloud_api_base}/_media/{media_id}",
        "mime_type": mime,
        "id": media_id,
        "messaging_product": "whatsapp",
    }


def _error(status_code: int, code: int, message: str) -> JSONResponse:
    return JSONResponse(
        {
            "error": {
                "message": message,
                "type": "OAuthException",
                "code": code,
                "fbtrace_id": secrets.token_hex(8),
            }
        },
        status_code=status_code,
    )
