"""Typed models of the WhatsApp Cloud API webhook (Meta's shapes; unknown fields ignored)."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

import structlog
from pydantic import BaseModel, ConfigDict, Field

log = structlog.get_logger(__name__)


class MetaModel(BaseModel):
    """Base of Meta's payloads: fields Meta adds later are ignored, never rejected."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)


class MessageType(StrEnum):
    """Inbound message types; a type Meta adds later becomes ``UNKNOWN`` with a warning."""

    TEXT = "text"
    INTERACTIVE = "interactive"
    BUTTON = "button"
    IMAGE = "image"
    DOCUMENT = "document"
    AUDIO = "audio"
    VIDEO = "video"
    STICKER = "sticker"
    LOCATION = "location"
    CONTACTS = "contacts"
    REACTION = "reaction"
    ORDER = "order"
    SYSTEM = "system"
    REQUEST_WELCOME = "request_welcome"
    UNSUPPORTED = "unsupported"
    UNKNOWN = "unknown"

    @classmethod
    def _missing_(cls, value: object) -> MessageType:
        log.warning("whatsapp.unknown_message_type", type=value, hint="treated as unsupported")
        return cls.UNKNOWN


class StatusKind(StrEnum):
    """Delivery statuses of outbound messages."""

    SENT = "sent"
    DELIVERED = "delivered"
    READ = "read"
    FAILED = "failed"
    DELETED = "deleted"
    UNKNOWN = "unknown"

    @classmethod
    def _missing_(cls, value: object) -> StatusKind:
        log.warning("whatsapp.unknown_status", status=value)
        return cls.UNKNOWN


class Profile(MetaModel):
    """The customer's WhatsApp profile."""

    name: str | None = None


class WaContact(MetaModel):
    """A contact block of the webhook (who wrote)."""

    wa_id: str
    profile: Profile = Field(default_factory=Profile)


class Metadata(MetaModel):
    """Which business number received the webhook."""

    display_phone_number: str | None = None
    phone_number_id: str | None = None


class TextBody(MetaModel):
    """Text message body."""

    body: str = ""


class ReplyRef(MetaModel):
    """A reply button or list row the customer tapped."""

    id: str
    title: str = ""
    description: str | None = None


class Interactive(MetaModel):
    """Interactive reply (button_reply or list_reply)."""

    type: str
    button_reply: ReplyRef | None = None
    list_reply: ReplyRef | None = None
    nfm_reply: dict[str, Any] | None = None

    @property
    def reply(self) -> ReplyRef | None:
        """The tapped reply, whichever kind it was."""
        return self.button_reply or self.list_reply


class Button(MetaModel):
    """Quick-reply button of a template message."""

    payload: str | None = None
    text: str = ""


class Media(MetaModel):
    """Image, document, audio, video or sticker reference (download by id)."""

    id: str
    mime_type: str | None = None
    sha256: str | None = None
    caption: str | None = None
    filename: str | None = None
    animated: bool | None = None
    voice: bool | None = None


class Location(MetaModel):
    """A shared location."""

    latitude: float
    longitude: float
    name: str | None = None
    address: str | None = None


class Reaction(MetaModel):
    """An emoji reaction to an earlier message (empty emoji = removed)."""

    message_id: str
    emoji: str | None = None


class Context(MetaModel):
    """What the message replies to."""

    id: str | None = None
    from_: str | None = Field(default=None, alias="from")


class ErrorData(MetaModel):
    """Details of a Cloud API error."""

    details: str | None = None


class WaError(MetaModel):
    """An error attached to a message, a status or the webhook."""

    code: int
    title: str | None = None
    message: str | None = None
    error_data: ErrorData | None = None


class System(MetaModel):
    """System message (e.g. the customer changed number)."""

    body: str | None = None
    type: str | None = None
    wa_id: str | None = None


class Message(MetaModel):
    """One inbound message of any type."""

    id: str
    from_: str = Field(alias="from")
    timestamp: str
    type: MessageType
    text: TextBody | None = None
    interactive: Interactive | None = None
    button: Button | None = None
    image: Media | None = None
    document: Media | None = None
    audio: Media | None = None
    video: Media | None = None
    sticker: Media | None = None
    location: Location | None = None
    contacts: list[dict[str, Any]] | None = None
    reaction: Reaction | None = None
    system: System | None = None
    context: Context | None = None
    errors: list[WaError] | None = None

    @property
    def media(self) -> Media | None:
        """The media reference when the message carries one."""
        return self.image or self.document or self.audio or self.video or self.sticker

    @property
    def sent_at(self) -> datetime:
        """When the customer sent it (Meta's unix timestamp)."""
        return datetime.fromtimestamp(int(self.timestamp), tz=UTC)


class Pricing(MetaModel):
    """Pricing block of a status."""

    billable: bool | None = None
    category: str | None = None


class Status(MetaModel):
    """Delivery status of a message the business sent."""

    id: str
    status: StatusKind
    timestamp: str
    recipient_id: str | None = None
    errors: list[WaError] | None = None
    pricing: Pricing | None = None


class Value(MetaModel):
    """The ``value`` of one change."""

    messaging_product: str | None = None
    metadata: Metadata = Field(default_factory=Metadata)
    contacts: list[WaContact] = Field(default_factory=list)
    messages: list[Message] = Field(default_factory=list)
    statuses: list[Status] = Field(default_factory=list)
    errors: list[WaError] = Field(default_factory=list)
    user_preferences: list[dict[str, Any]] = Field(default_factory=list)


class Change(MetaModel):
    """One change of an entry; ``field`` says which kind."""

    field: str
    value: Value = Field(default_factory=Value)


class Entry(MetaModel):
    """One WhatsApp Business Account entry."""

    id: str | None = None
    changes: list[Change] = Field(default_factory=list)


class Envelope(MetaModel):
    """The whole webhook POST body."""

    object: str
    entry: list[Entry] = Field(default_factory=list)
