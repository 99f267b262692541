"""Builds webhook deliveries exactly as Meta sends them, signed with the app secret."""

from __future__ import annotations

import asyncio
import json
import secrets
import time
from datetime import UTC, datetime
from typing import Any

import httpx

from bot.config import Settings
from bot.whatsapp.signature import sign

ERROR_TITLES = {
    131047: "Re-engagement message",
    131026: "Message undeliverable",
    131050: "User stopped marketing messages",
}


def _envelope(settings: Settings, value: dict[str, Any]) -> dict[str, Any]:
    return {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": "WHATSAPP_BUSINESS_ACCOUNT_ID",
                "changes": [
                    {
                        "field": "messages",
                        "value": {
                            "messaging_product": "whatsapp",
                            "metadata": {
                                "display_phone_number": settings.whatsapp_display_number,
                                "phone_number_id": settings.whatsapp_phone_number_id,
                            },
                            **value,
                        },
                    }
                ],
            }
        ],
    }


def new_inbound_wamid() -> str:
    """A fresh id for a simulated customer message."""
    return "wamid.SIM" + secrets.token_hex(16).upper()


def message_envelope(
    settings: Settings,
    *,
    contact: str,
    name: str,
    message: dict[str, Any],
    sent_at: datetime | None = None,
    wamid: str | None = None,
) -> dict[str, Any]:
    """A delivery carrying one customer message (``message`` holds ``type`` and its body)."""
    when = sent_at or datetime.now(tz=UTC)
    body = {
        "from": contact.lstrip("+"),
        "id": wamid or new_inbound_wamid(),
        "timestamp": str(int(when.timestamp())),
        **message,
    }
    return _envelope(
        settings,
        {
            "contacts": [{"profile": {"name": name}, "wa_id": contact.lstrip("+")}],
            "messages": [body],
        },
    )


def text_message(text: str) -> dict[str, Any]:
    """The ``message`` part of a text message."""
    return {"type": "text", "text": {"body": text}}


def button_reply(reply_id: str, title: str) -> dict[str, Any]:
    """The ``message`` part of a tapped reply button."""
    return {
        "type": "interactive",
        "interactive": {"type": "button_reply", "button_reply": {"id": reply_id, "title": title}},
    }


def list_reply(row_id: str, title: str, description: str | None = None) -> dict[str, Any]:
    """The ``message`` part of a row chosen in a list message."""
    row: dict[str, Any] = {"id": row_id, "title": title}
    if description:
        row["description"] = description
    return {"type": "interactive", "interactive": {"type": "list_reply", "list_reply": row}}


def template_button(payload: str, text: str) -> dict[str, Any]:
    """The ``message`` part of a tapped quick-reply button of a template."""
    return {"type": "button", "button": {"payload": payload, "text": text}}


def media_message(
    kind: str,
    media_id: str,
    mime_type: str,
    *,
    caption: str | None = None,
    filename: str | None = None,
    sha256: str | None = None,
) -> dict[str, Any]:
    """The ``message`` part of an image, document, audio, video or sticker."""
    media: dict[str, Any] = {"id": media_id, "mime_type": mime_type}
    if sha256:
        media["sha256"] = sha256
    if caption and kind in ("image", "video", "document"):
        media["caption"] = caption
    if filename and kind == "document":
        media["filename"] = filename
    if kind == "audio":
        media["voice"] = mime_type.startswith("audio/ogg")
    return {"type": kind, kind: media}


def location_message(
    latitude: float, longitude: float, name: str | None = None, address: str | None = None
) -> dict[str, Any]:
    """The ``message`` part of a shared location."""
    location: dict[str, Any] = {"latitude": latitude, "longitude": longitude}
    if name:
        location["name"] = name
    if address:
        location["address"] = address
    return {"type": "location", "location": location}


def contacts_message(name: str, phone: str) -> dict[str, Any]:
    """The ``message`` part of one shared contact card."""
    digits = "".join(ch for ch in phone if ch.isdigit())
    card = {
        "name": {"formatted_name": name, "first_name": name.split(" ")[0]},
        "phones": [{"phone": phone, "wa_id": digits, "type": "CELL"}],
    }
    return {"type": "contacts", "contacts": [card]}


def reaction_message(message_id: str, emoji: str) -> dict[str, Any]:
    """The ``message`` part of a reaction to one of the business's messages."""
    return {"type": "reaction", "reaction": {"message_id": message_id, "emoji": emoji}}


def unsupported_message() -> dict[str, Any]:
    """What Meta forwards for a message type the Cloud API does not support (e.g. a poll)."""
    return {
        "type": "unsupported",
        "errors": [
            {
                "code": 131051,
                "title": "Message type unknown",
                "message": "Message type unknown",
                "error_data": {"details": "Message type is currently not supported."},
            }
        ],
    }


def status_envelope(
    settings: Settings,
    *,
    wamid: str,
    recipient: str,
    status: str,
    callback_data: str | None = None,
    error_code: int | None = None,
) -> dict[str, Any]:
    """A delivery carrying one status of a message the business sent."""
    item = status_item(
        wamid=wamid,
        recipient=recipient,
        status=status,
        callback_data=callback_data,
        error_code=error_code,
    )
    return statuses_envelope(settings, [item])


def statuses_envelope(settings: Settings, items: list[dict[str, Any]]) -> dict[str, Any]:
    """A delivery carrying several statuses (Meta batches them under load)."""
    return _envelope(settings, {"statuses": items})


def status_item(
    *,
    wamid: str,
    recipient: str,
    status: str,
    callback_data: str | None = None,
    error_code: int | None = None,
) -> dict[str, Any]:
    """One entry of a delivery's ``statuses`` list."""
    item: dict[str, Any] = {
        "id": wamid,
        "status": status,
        "timestamp": str(int(datetime.now(tz=UTC).timestamp())),
        "recipient_id": recipient,
    }
    if callback_data:
        item["biz_opaque_callback_data"] = callback_data
    if status in ("sent", "delivered"):
        item["pricing"] = {"billable": False, "pricing_model": "PMP", "category": "service"}
    if error_code is not None:
        item["errors"] = [{"code": error_code, "title": ERROR_TITLES.get(error_code, "Error")}]
    return item


def preference_envelope(
    settings: Settings, *, contact: str, name: str, value: str
) -> dict[str, Any]:
    """A ``user_preferences`` delivery: the customer stopped or resumed marketing messages."""
    detail = f"User requested to {value} marketing messages"
    envelope = _envelope(
        settings,
        {
            "contacts": [{"profile": {"name": name}, "wa_id": contact.lstrip("+")}],
            "user_preferences": [
                {
                    "wa_id": contact.lstrip("+"),
                    "detail": detail,
                    "category": "marketing_messages",
                    "value": value,
                    "timestamp": int(datetime.now(tz=UTC).timestamp()),
                }
            ],
        },
    )
    envelope["entry"][0]["changes"][0]["field"] = "user_preferences"
    return envelope


def webhook_request(
    settings: Settings, envelope: dict[str, Any]
) -> tuple[str, dict[str, str], bytes]:
    """URL, headers and body of the signed POST Meta would make."""
    body = json.dumps(envelope, separators=(",", ":"), ensure_ascii=False).encode()
    headers = {
        "Content-Type": "application/json",
        "X-Hub-Signature-256": sign(body, settings.whatsapp_app_secret.get_secret_value()),
    }
    return f"{settings.public_url}/webhook", headers, body


async def customer_writes(
    http: httpx.AsyncClient,
    settings: Settings,
    *,
    contact: str,
    text: str,
    name: str,
    wamid: str,
    retry_for_s: float = 120.0,
) -> int:
    """A text from ``contact`` (with the given ``wamid``), delivered like Meta; the last status."""
    envelope = message_envelope(
        settings, contact=contact, name=name, message=text_message(text), wamid=wamid
    )
    return await deliver_like_meta(http, settings, envelope, retry_for_s=retry_for_s)


async def deliver_like_meta(
    http: httpx.AsyncClient,
    settings: Settings,
    envelope: dict[str, Any],
    *,
    retry_for_s: float = 120.0,
) -> int:
    """POST a signed delivery, retrying like Meta does until the hub answers 200.

    Meta retries a delivery that did not get a 200 (an error status, a timeout, a refused
    connection) with backoff for days; this retries for ``retry_for_s`` seconds (bounded).

    Returns:
        The last HTTP status (200 once accepted; 0 when the hub never answered).
    """
    url, headers, content = webhook_request(settings, envelope)
    deadline = time.monotonic() + retry_for_s
    delay = 0.2
    status = 0
    while True:
        try:
            response = await http.post(url, headers=headers, content=content)
            status = response.status_code
        except httpx.HTTPError:
            status = 0
        if status == 200 or time.monotonic() + delay > deadline:
            return status
        await asyncio.sleep(delay)
        delay = min(delay * 2, 2.0)
