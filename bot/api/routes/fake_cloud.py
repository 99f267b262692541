"""A fake WhatsApp Cloud API (simulator mode): records sends, returns wamids, posts statuses.

It answers like Meta's Graph API for the calls the hub makes — send a message, upload media,
look a media object up, download it — and refuses what Meta refuses (a missing token, payloads
over WhatsApp's limits, undeclared templates or a wrong parameter count). After each accepted
message it posts signed ``sent`` → ``delivered`` → ``read`` status webhooks back to the hub,
echoing ``biz_opaque_callback_data``. It can be told to fail the next requests (429, 500,
131047...), for every recipient or one, so retries, dead letters and the 24-hour window can be
exercised locally.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import heapq
import itertools
import json
import secrets
import time
from typing import Annotated, Any

import httpx
import structlog
from fastapi import APIRouter, File, Form, Query, Request, Response, UploadFile
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from redis.asyncio import Redis

from bot.api.deps import KeysDep, RedisDep, SettingsDep
from bot.api.routes.webhook import hot_path_state
from bot.clients.http import fast_client
from bot.clients.whatsapp import PAIR_RATE_LIMIT
from bot.config import Settings
from bot.keys import Keys
from bot.outbound import take_tokens
from bot.simulator import status_item, statuses_envelope, webhook_request
from bot.whatsapp.payloads import problems
from bot.whatsapp.redis_replies import text, text_or_none
from bot.whatsapp.template_overrides import live_catalog
from bot.whatsapp.templates import TemplateCatalog, TemplateError

log = structlog.get_logger(__name__)

router = APIRouter(prefix="/fake-cloud", tags=["simulator"])

MEDIA_TTL_S = 30 * 24 * 3600  # Meta keeps uploaded media for 30 days
MAX_MEDIA_BYTES = 16 * 1024 * 1024


class Failure(BaseModel):
    """A failure the fake API will answer to the next ``count`` sends (to ``to`` only, if set)."""

    model_config = ConfigDict(extra="forbid")

    status: int = 429
    code: int = 130429
    message: str = "Rate limit hit"
    count: int = 1
    to: str | None = None
    as_status: bool = False  # accept the send, then post a ``failed`` status with ``code``
    delay_s: float = Field(default=0.0, ge=0, le=120)  # answer this late (a client timeout)

    @property
    def is_slow_success(self) -> bool:
        """A slow answer that still accepts the message (``status`` below 400)."""
        return self.delay_s > 0 and self.status < 400


class StoredMedia(BaseModel):
    """A media object kept by the fake API."""

    id: str
    mime_type: str
    sha256: str
    file_size: int
    filename: str | None = None


def new_wamid() -> str:
    """A wamid shaped like Meta's (base64 of an opaque id)."""
    return "wamid." + base64.b64encode(secrets.token_bytes(30)).decode().rstrip("=")


def _has_token(request: Request) -> bool:
    return request.headers.get("authorization", "").startswith("Bearer ")


@router.post("/_control/failures", status_code=204)
async def add_failures(failure: Failure, redis: RedisDep, keys: KeysDep) -> None:
    """Make the next ``count`` sends fail with ``status``/``code``."""
    key = keys.fake_failures_for(failure.to.lstrip("+")) if failure.to else keys.fake_failures()
    await redis.rpush(key, *[failure.model_dump_json()] * failure.count)


@router.get("/_sent")
async def sent(
    redis: RedisDep, keys: KeysDep, to: Annotated[str | None, Query()] = None, start: int = 0
) -> list[dict[str, Any]]:
    """Everything the fake API accepted, oldest first (optionally for one recipient)."""
    key = keys.fake_sent_to(to.lstrip("+")) if to else keys.fake_sent()
    return [json.loads(r) for r in await redis.lrange(key, start, -1)]


@router.delete("/_sent", status_code=204)
async def reset(redis: RedisDep, keys: KeysDep) -> None:
    """Forget recorded sends and pending failures."""
    recipients = {json.loads(r)["to"] for r in await redis.lrange(keys.fake_sent(), 0, -1)}
    extra = [keys.fake_sent_to(c) for c in recipients] + [
        keys.fake_failures_for(c) for c in recipients
    ]
    await redis.delete(keys.fake_sent(), keys.fake_failures(), *extra)


async def store_media(
    redis: Redis, keys: Keys, *, content: bytes, mime_type: str, filename: str | None
) -> StoredMedia:
    """Keep uploaded bytes like Meta does (30 days) and return the media object."""
    media = StoredMedia(
        id=str(10**15 + secrets.randbelow(9 * 10**15)),
        mime_type=mime_type,
        sha256=base64.b64encode(hashlib.sha256(content).digest()).decode(),
        file_size=len(content),
        filename=filename,
    )
    key = keys.fake_media(media.id)
    fields = {**media.model_dump(exclude_none=True), "data": base64.b64encode(content).decode()}
    await redis.hset(key, mapping={k: str(v) for k, v in fields.items()})
    await redis.expire(key, MEDIA_TTL_S)
    return media


@router.post("/{version}/{phone_number_id}/media")
async def upload_media(
    version: str,
    phone_number_id: str,
    request: Request,
    redis: RedisDep,
    keys: KeysDep,
    file: Annotated[UploadFile, File()],
    messaging_product: Annotated[str, Form()] = "whatsapp",
    type: Annotated[str | None, Form()] = None,  # Meta's field name
) -> Response:
    """Upload media (multipart, like the Cloud API) and answer its id."""
    if not _has_token(request):
        return _error(401, 190, "Invalid OAuth access token")
    content = await file.read(MAX_MEDIA_BYTES + 1)
    if len(content) > MAX_MEDIA_BYTES or not content:
        return _error(400, 131053, "Media upload error: empty or larger than 16 MB")
    mime = type or file.content_type or "application/octet-stream"
    media = await store_media(redis, keys, content=content, mime_type=mime, filename=file.filename)
    return JSONResponse({"id": media.id})


@router.get("/_media/{media_id}")
async def download_media(
    media_id: str, request: Request, redis: RedisDep, keys: KeysDep
) -> Response:
    """The media bytes (the URL ``media_info`` gives; needs the bearer token like Meta's)."""
    if not _has_token(request):
        return _error(401, 190, "Invalid OAuth access token")
    stored = await redis.hmget(keys.fake_media(media_id), ["data", "mime_type"])
    if stored[0] is None:
        return _error(404, 100, "Unsupported get request: media not found")
    return Response(
        base64.b64decode(stored[0]), media_type=text(stored[1]) or "application/octet-stream"
    )


@router.post("/{version}/{phone_number_id}/messages")
async def send_message(version: str, phone_number_id: str, request: Request) -> Response:
    """Accept a message like the Cloud API does (or fail as instructed)."""
    settings, redis, keys = hot_path_state(request)
    if not _has_token(request):
        return _error(401, 190, "Invalid OAuth access token")
    try:
        payload = json.loads(await request.body())
    except ValueError:
        return _error(400, 100, "Invalid parameter: body is not JSON")
    to = str(payload.get("to", "")).lstrip("+") if isinstance(payload, dict) else ""
    if not to or "type" not in payload:
        return _error(400, 100, "Invalid parameter")
    failure = await _next_failure(redis, keys, to)
    if failure is not None and failure.delay_s:
        await asyncio.sleep(failure.delay_s)  # the caller may time out; Meta still answers
        failure = None if failure.is_slow_success else failure
    if failure is not None and not failure.as_status:
        return _error(failure.status, failure.code, failure.message)
    refused = _refusal(payload, live_catalog(request.app)) or await _over_pair_limit(
        redis, keys, settings, to
    )
    if refused is not None:
        return refused
    wamid = new_wamid()
    record = {
        "wamid": wamid,
        "to": to,
        "payload": payload,
        "ts": time.time(),
        "phone_number_id": phone_number_id,
    }
    pipe = redis.pipeline(transaction=False)
    pipe.rpush(keys.fake_sent(), json.dumps(record))
    pipe.rpush(keys.fake_sent_to(to), json.dumps(record))
    await pipe.execute()
    kinds = ["sent", "failed"] if failure is not None else _status_kinds(settings)
    _post_statuses_later(request, settings, to, wamid, payload, kinds, failure)
    return JSONResponse(
        {
            "messaging_product": "whatsapp",
            "contacts": [{"input": to, "wa_id": to}],
            "messages": [{"id": wamid}],
        }
    )


@router.get("/{version}/{media_id}")
async def media_info(
    version: str,
    media_id: str,
    request: Request,
    redis: RedisDep,
    keys: KeysDep,
    settings: SettingsDep,
) -> Response:
    """Where to download a media object (Meta answers a short-lived URL)."""
    if not _has_token(request):
        return _error(401, 190, "Invalid OAuth access token")
    stored = await redis.hgetall(keys.fake_media(media_id))
    if not stored:
        return _error(404, 100, "Unsupported get request: media not found")
    return JSONResponse(
        {
            "url": f"{settings.cloud_api_base}/_media/{media_id}",
            "mime_type": stored.get("mime_type", "application/octet-stream"),
            "sha256": stored.get("sha256"),
            "file_size": int(stored.get("file_size", "0")),
            "id": media_id,
            "messaging_product": "whatsapp",
        }
    )


async def _next_failure(redis: Redis, keys: Keys, to: str) -> Failure | None:
    raw = text_or_none(
        await redis.lpop(keys.fake_failures_for(to)) or await redis.lpop(keys.fake_failures())
    )
    return Failure.model_validate_json(raw) if raw is not None else None


async def _over_pair_limit(
    redis: Redis, keys: Keys, settings: Settings, to: str
) -> JSONResponse | None:
    """Meta's 131056 when the business writes to one contact faster than the pair limit."""
    bucket = (keys.fake_pair_bucket(to), settings.pair_rate_burst, settings.pair_rate_per_s)
    if await take_tokens(redis, [bucket]) == 0:
        return None
    return _error(400, PAIR_RATE_LIMIT, "(#131056) Pair rate limit hit")


def _refusal(payload: dict[str, Any], catalog: TemplateCatalog) -> JSONResponse | None:
    """Meta's answer to a payload it would refuse (None when it is acceptable)."""
    found = problems(payload)
    if found:
        return _error(400, 131009, f"Parameter value is not valid: {', '.join(found)}")
    if payload.get("type") != "template":
        return None
    template = payload.get("template") or {}
    values = [
        str(p.get("text", ""))
        for c in template.get("components") or []
        if c.get("type") == "body"
        for p in c.get("parameters") or []
    ]
    try:
        catalog.parameters_for(str(template.get("name")), values)
    except TemplateError as exc:
        return _error(400, exc.code, str(exc))
    return None


def _status_kinds(settings: Settings) -> list[str]:
    return [k.strip() for k in settings.fake_cloud_statuses.split(",") if k.strip()]


def _post_statuses_later(
    request: Request,
    settings: Settings,
    to: str,
    wamid: str,
    payload: dict[str, Any],
    kinds: list[str],
    failure: Failure | None,
) -> None:
    """Schedule the status webhooks of one accepted message (one every ``delay``)."""
    if not kinds:
        return
    now = time.monotonic()
    delay = settings.fake_cloud_status_delay_s
    callback = payload.get("biz_opaque_callback_data")
    _poster(request, settings).schedule(
        [
            (
                now + delay * (step + 1),
                status_item(
                    wamid=wamid,
                    recipient=to,
                    status=kind,
                    callback_data=callback,
                    error_code=failure.code if failure and kind == "failed" else None,
                ),
            )
            for step, kind in enumerate(kinds)
        ]
    )


def _poster(request: Request, settings: Settings) -> StatusPoster:
    """The app's status poster, started on first use (cancelled with the app's background)."""
    state = request.app.state
    poster: StatusPoster | None = getattr(state, "fake_status_poster", None)
    if poster is None:
        poster = state.fake_status_poster = StatusPoster(settings)
        task = asyncio.create_task(poster.run())
        state.background.add(task)
        task.add_done_callback(state.background.discard)
    return poster


class StatusPoster:
    """Posts status webhooks back to the hub, batching the ones due together.

    Meta puts several statuses in one delivery under load; doing the same keeps the simulator's
    own webhook traffic from dominating a load test (one POST per 100 statuses at most instead
    of three per message), and a small connection pool keeps httpx's per-request pool scan short.
    Like Meta, it posts a delivery again (with backoff) when the hub does not answer 200, e.g.
    while Redis restarts: the sender relies on these statuses to avoid a duplicate after a
    timed-out send.
    """

    MAX_BATCH = 100
    MAX_RETRIES = 8  # about a minute of retries (Meta keeps trying for days)

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._due: list[tuple[float, int, dict[str, Any], int]] = []
        self._order = itertools.count()
        self._wake = asyncio.Event()

    def schedule(self, items: list[tuple[float, dict[str, Any]]]) -> None:
        """Add statuses to post at the given ``time.monotonic()`` times."""
        for due, item in items:
            heapq.heappush(self._due, (due, next(self._order), item, 0))
        self._wake.set()

    async def run(self) -> None:
        """Post due statuses until cancelled."""
        async with fast_client(10.0, max_connections=4) as http:
            while True:
                await self._wait_for_due()
                batch: list[tuple[dict[str, Any], int]] = []
                while self._due and self._due[0][0] <= time.monotonic():
                    _, _, item, attempt = heapq.heappop(self._due)
                    batch.append((item, attempt))
                    if len(batch) == self.MAX_BATCH:
                        break
                if batch and not await self._post(http, [item for item, _ in batch]):
                    self._retry_later(batch)

    async def _wait_for_due(self) -> None:
        self._wake.clear()
        timeout = self._due[0][0] - time.monotonic() if self._due else None
        if timeout is not None and timeout <= 0:
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), timeout)

    async def _post(self, http: httpx.AsyncClient, batch: list[dict[str, Any]]) -> bool:
        """True when the hub accepted the delivery (200)."""
        url, headers, content = webhook_request(
            self._settings, statuses_envelope(self._settings, batch)
        )
        try:
            response = await http.post(url, headers=headers, content=content)
        except httpx.HTTPError as exc:
            log.info("fake_cloud.status_not_delivered", error=repr(exc), statuses=len(batch))
            return False
        return response.status_code == 200

    def _retry_later(self, batch: list[tuple[dict[str, Any], int]]) -> None:
        """Schedule a refused delivery again with backoff (a bounded number of times)."""
        now = time.monotonic()
        for item, attempt in batch:
            if attempt < self.MAX_RETRIES:
                due = now + min(0.5 * 2**attempt, 10.0)
                heapq.heappush(self._due, (due, next(self._order), item, attempt + 1))


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
