"""Builds webhook deliveries exactly as Meta sends them, signed with the app secret."""

from __future__ import annotations

import json
import secrets
from datetime import UTC, datetime
from typing import Any

from bot.config import Settings
from bot.whatsapp.signature import sign


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


def status_envelope(
    settings: Settings, *, wamid: str, recipient: str, status: str
) -> dict[str, Any]:
    """A delivery carrying one status of a message the business sent."""
    return _envelope(
        settings,
        {
            "statuses": [
                {
                    "id": wamid,
                    "status": status,
                    "timestamp": str(int(datetime.now(tz=UTC).timestamp())),
                    "recipient_id": recipient,
                }
            ],
        },
    )


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
