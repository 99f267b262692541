"""The local WhatsApp simulator (simulator mode only): a web page and the API behind it.

Every message typed on the page is turned into the delivery Meta would POST (the builders of
``bot/simulator.py``, the same ones ``wabot simulate`` uses), signed with the app secret, and
posted to this hub's real ``/webhook`` over HTTP: the simulator exercises exactly the production
path. What the customer "receives" is what the fake Cloud API recorded, with the status the hub
learned from the status webhooks.
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal

import httpx
import jinja2
from fastapi import APIRouter, File, Form, HTTPException, Request, Response, UploadFile
from fastapi.responses import FileResponse, HTMLResponse
from pydantic import BaseModel, ConfigDict, Field

from bot import simulator
from bot.api.deps import KeysDep, RedisDep, SettingsDep
from bot.api.routes.fake_cloud import MAX_MEDIA_BYTES, store_media
from bot.config import Settings
from bot.statuses import message_statuses
from bot.whatsapp import redis_replies as replies
from bot.whatsapp.redis_replies import text, text_or_none
from bot.whatsapp.template_overrides import live_catalog
from bot.whatsapp.templates import TemplateCatalog

router = APIRouter(tags=["simulator"])

BOT_DIR = Path(__file__).resolve().parent.parent.parent
STATIC = BOT_DIR / "static"
PAGE = jinja2.Environment(
    loader=jinja2.FileSystemLoader(BOT_DIR / "templates"), autoescape=True
).get_template("simulator.html")
HISTORY = 300  # transcript entries shown per contact


class InboundProgress(BaseModel):
    """Whether an inbound message was processed and how far its replies got."""

    wamid: str
    accepted: bool
    done: bool
    replies: int
    sent: int
    statuses: list[str]


class SimMessage(BaseModel):
    """One thing a simulated customer does in the chat."""

    model_config = ConfigDict(extra="forbid")

    contact: str = Field(pattern=r"^\+?\d{6,15}$")
    name: str = "Cliente"
    kind: Literal[
        "text",
        "button_reply",
        "list_reply",
        "template_button",
        "location",
        "contacts",
        "reaction",
        "unsupported",
    ] = "text"
    text: str = ""
    reply_id: str = ""
    title: str = ""
    latitude: float = 45.4520
    longitude: float = 9.1751
    address: str | None = None
    card_name: str = ""
    card_phone: str = ""
    emoji: str = "👍"
    reacted_to: str = ""
    at: datetime | None = None  # clock override: the message's WhatsApp timestamp


class Posted(BaseModel):
    """What the hub's webhook answered to the signed delivery."""

    wamid: str | None = None
    status_code: int
    answer: dict[str, Any] | None = None


class Preference(BaseModel):
    """The customer switches WhatsApp's marketing messages off (stop) or on (resume)."""

    model_config = ConfigDict(extra="forbid")

    contact: str = Field(pattern=r"^\+?\d{6,15}$")
    name: str = "Cliente"
    value: Literal["stop", "resume"]


@router.get("/simulator", response_class=HTMLResponse, include_in_schema=False)
async def page(settings: SettingsDep) -> HTMLResponse:
    """The simulator: chat as one or several WhatsApp contacts."""
    return HTMLResponse(PAGE.render(business=settings.whatsapp_display_number))


@router.get("/simulator/static/{name}", include_in_schema=False)
async def static_file(name: str) -> FileResponse:
    """The page's own JS and CSS (vendored, nothing from a CDN)."""
    path = (STATIC / name).resolve()
    if path.parent != STATIC or not path.is_file():
        raise HTTPException(404, f"{name} not found")
    return FileResponse(path)


def _message_part(body: SimMessage) -> dict[str, Any]:
    """The ``message`` part of the delivery, by kind (``bot/simulator.py`` builders)."""
    builders = {
        "text": lambda: simulator.text_message(body.text),
        "button_reply": lambda: simulator.button_reply(body.reply_id, body.title),
        "list_reply": lambda: simulator.list_reply(body.reply_id, body.title),
        "template_button": lambda: simulator.template_button(body.reply_id, body.title),
        "location": lambda: simulator.location_message(
            body.latitude, body.longitude, body.text or None, body.address
        ),
        "contacts": lambda: simulator.contacts_message(body.card_name, body.card_phone),
        "reaction": lambda: simulator.reaction_message(body.reacted_to, body.emoji),
        "unsupported": simulator.unsupported_message,
    }
    return builders[body.kind]()


async def post_signed(
    http: httpx.AsyncClient, settings: Settings, envelope: dict[str, Any]
) -> Posted:
    """POST a delivery to this hub's webhook exactly as Meta would (signed raw body)."""
    url, headers, content = simulator.webhook_request(settings, envelope)
    response = await http.post(url, headers=headers, content=content, timeout=10.0)
    answer = (
        response.json()
        if response.headers.get("content-type", "").startswith("application/json")
        else None
    )
    return Posted(status_code=response.status_code, answer=answer)


@router.post("/api/simulator/messages")
async def send(body: SimMessage, request: Request, settings: SettingsDep) -> Posted:
    """Send one customer message through the real signed webhook."""
    wamid = simulator.new_inbound_wamid()
    envelope = simulator.message_envelope(
        settings,
        contact=body.contact,
        name=body.name,
        message=_message_part(body),
        sent_at=body.at,
        wamid=wamid,
    )
    posted = await post_signed(request.app.state.http, settings, envelope)
    return posted.model_copy(update={"wamid": wamid})


def _media_kind(mime: str) -> str:
    if mime == "image/webp":
        return "sticker"
    for kind in ("image", "audio", "video"):
        if mime.startswith(f"{kind}/"):
            return kind
    return "document"


@router.post("/api/simulator/media")
async def send_media(
    request: Request,
    settings: SettingsDep,
    redis: RedisDep,
    keys: KeysDep,
    file: Annotated[UploadFile, File()],
    contact: Annotated[str, Form(pattern=r"^\+?\d{6,15}$")],
    name: Annotated[str, Form()] = "Cliente",
    caption: Annotated[str, Form()] = "",
) -> Posted:
    """Upload a file to the fake Cloud API and send it as the customer's media message."""
    content = await file.read(MAX_MEDIA_BYTES + 1)
    if not content or len(content) > MAX_MEDIA_BYTES:
        raise HTTPException(413, "the file must be between 1 byte and 16 MB")
    mime = file.content_type or "application/octet-stream"
    media = await store_media(redis, keys, content=content, mime_type=mime, filename=file.filename)
    part = simulator.media_message(
        _media_kind(mime),
        media.id,
        mime,
        caption=caption or None,
        filename=file.filename,
        sha256=media.sha256,
    )
    wamid = simulator.new_inbound_wamid()
    envelope = simulator.message_envelope(
        settings, contact=contact, name=name, message=part, wamid=wamid
    )
    posted = await post_signed(request.app.state.http, settings, envelope)
    return posted.model_copy(update={"wamid": wamid})


@router.post("/api/simulator/preferences")
async def send_preference(body: Preference, request: Request, settings: SettingsDep) -> Posted:
    """Send Meta's ``user_preferences`` webhook (marketing messages stopped / resumed)."""
    envelope = simulator.preference_envelope(
        settings, contact=body.contact, name=body.name, value=body.value
    )
    return await post_signed(request.app.state.http, settings, envelope)


@router.post("/api/simulator/contacts/{contact}/close-window", status_code=204)
async def close_window(contact: str, redis: RedisDep, keys: KeysDep) -> None:
    """Pretend the customer last wrote 25 hours ago (to try templates and held replies)."""
    past = (datetime.now(tz=UTC) - timedelta(hours=25)).isoformat()
    await redis.hset(
        keys.contact(contact.lstrip("+")), mapping={"window_from": past, "last_inbound_at": past}
    )


@router.get("/api/simulator/media/{media_id}")
async def media_bytes(media_id: str, redis: RedisDep, keys: KeysDep) -> Response:
    """Bytes of a media object the simulated customer uploaded (thumbnails on the page)."""
    stored = await redis.hmget(keys.fake_media(media_id), ["data", "mime_type"])
    if stored[0] is None:
        raise HTTPException(404, "media not found")
    return Response(
        base64.b64decode(stored[0]), media_type=text(stored[1]) or "application/octet-stream"
    )


@router.get("/api/simulator/conversations/{contact}")
async def conversation(
    contact: str, request: Request, redis: RedisDep, keys: KeysDep
) -> dict[str, Any]:
    """The chat as the phone shows it: customer messages, business messages, ticks."""
    contact = contact.lstrip("+")
    entries = list(
        reversed(replies.entries(await redis.xrevrange(keys.transcript(contact), count=HISTORY)))
    )
    records = [json.loads(r) for r in await redis.lrange(keys.fake_sent_to(contact), -HISTORY, -1)]
    payloads = {r["wamid"]: r for r in records}
    business = [
        f for _, f in entries if f.get("role") in ("bot", "agent", "system") and f.get("wamid")
    ]
    statuses = await message_statuses(redis, keys, [f["message_id"] for f in business])
    fields = [
        text_or_none(v)
        for v in await redis.hmget(keys.contact(contact), ["consent", "window_from", "language"])
    ]
    return {
        "contact": contact,
        "consent": fields[0] or "opted_in",
        "window_from": fields[1],
        "language": fields[2],
        "messages": [
            _view(entry_id, f, payloads, statuses, live_catalog(request.app))
            for entry_id, f in entries
            if f.get("role") != "status" and (f.get("role") == "customer" or f.get("wamid"))
        ],
    }


def _view(
    entry_id: str,
    fields: dict[str, str],
    payloads: dict[str, Any],
    statuses: dict[str, str],
    catalog: TemplateCatalog,
) -> dict[str, Any]:
    """One chat bubble."""
    if fields.get("role") == "customer":
        return {
            "id": entry_id,
            "from": "customer",
            **{
                k: fields.get(k, "")
                for k in ("type", "text", "payload", "media_id", "wamid", "reacted_to", "ts")
            },
        }
    record = payloads.get(fields["wamid"], {})
    payload = record.get("payload") or {"type": "text", "text": {"body": fields.get("text", "")}}
    return {
        "id": entry_id,
        "from": fields.get("role"),
        "wamid": fields["wamid"],
        "ts": fields.get("ts"),
        "status": statuses.get(fields.get("message_id", ""), "sent"),
        "payload": payload,
        "rendered": _render_template(payload, catalog),
    }


def _render_template(payload: dict[str, Any], catalog: TemplateCatalog) -> dict[str, Any] | None:
    """Text and quick-reply buttons of a template message, as the phone shows them."""
    if payload.get("type") != "template":
        return None
    template = payload.get("template") or {}
    spec = catalog.get(str(template.get("name")))
    if spec is None:
        return None
    language = (template.get("language") or {}).get("code", "it")
    values = [
        p.get("text", "")
        for c in template.get("components") or []
        for p in c.get("parameters") or []
    ]
    if len(values) != len(spec.parameters):
        return None
    return {
        "text": spec.render(language, values),
        "buttons": spec.buttons.get(spec.language_for(language), []),
    }


@router.get("/api/simulator/inbound/{wamid}")
async def inbound_progress(wamid: str, redis: RedisDep, keys: KeysDep) -> InboundProgress:
    """Progress of one inbound message: accepted, processed, replies queued and sent."""
    accepted = bool(await redis.exists(keys.seen(wamid)))
    done = bool(await redis.exists(keys.done(wamid)))
    stored = await redis.get(keys.bot_replies(wamid))
    count = (
        len([r for r in json.loads(stored) if r.get("text") or r.get("buttons")]) if (stored) else 0
    )
    statuses = []
    for index in [*range(count), 99]:
        status = await redis.hget(keys.outbound_message(f"{wamid}:{index}"), "status")
        if status is not None:
            statuses.append(text(status))
    if not stored and done:  # hub's own reply (media, unsupported) without Rasa
        status = await redis.hget(keys.outbound_message(f"{wamid}:0"), "status")
        statuses = [text(status)] if status else []
    sent = sum(s in ("sent", "delivered", "read") for s in statuses)
    return InboundProgress(
        wamid=wamid,
        accepted=accepted,
        done=done,
        replies=len(statuses),
        sent=sent,
        statuses=statuses,
    )
