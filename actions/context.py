"""What every action needs from the tracker: language, the message time, the contact."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from rasa_sdk import Tracker

from actions.config import get_settings

LANGUAGES = ("it", "en")


def metadata(tracker: Tracker) -> dict[str, Any]:
    """Metadata the hub attached to the latest user message."""
    latest = tracker.latest_message or {}
    return dict(latest.get("metadata") or {})


def language_of(tracker: Tracker) -> str:
    """The conversation language: the hub's detection, else the slot, else Italian."""
    lang = metadata(tracker).get("language") or tracker.get_slot("language")
    return lang if lang in LANGUAGES else "it"


def message_time(tracker: Tracker) -> datetime:
    """When the latest message was sent (the hub's ``now``), in the business time zone."""
    zone = ZoneInfo(get_settings().timezone)
    raw = metadata(tracker).get("now")
    if raw:
        try:
            return datetime.fromisoformat(str(raw)).astimezone(zone)
        except ValueError:
            pass
    return datetime.now(tz=zone)


def contact_phone(tracker: Tracker) -> str:
    """The customer's WhatsApp number in E.164 (the Rasa sender id is its digits)."""
    sender = tracker.sender_id or ""
    return sender if sender.startswith("+") else f"+{sender}"


def intent_of(tracker: Tracker) -> str | None:
    """Name of the latest user intent."""
    intent = (tracker.latest_message or {}).get("intent") or {}
    name = intent.get("name")
    return str(name) if name else None
