"""Typed models of the WhatsApp Cloud API webhook (Meta's shapes; unknown fields ignored).

One model per block of Meta's documented envelope (``object`` → ``entry[]`` → ``changes[]`` →
``value`` with ``metadata``, ``contacts``, ``messages``, ``statuses``, ``errors`` and
``user_preferences``). Enum values Meta adds later become ``UNKNOWN`` with a warning instead of
rejecting the whole delivery, as pywa does (``StrEnum._missing_``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any

import structlog
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

log = structlog.get_logger(__name__)

# Unix seconds between 1970 and 3000: anything else is not a timestamp Meta would send.
_MAX_TS = 32_503_680_000


def _unix_seconds(value: Any) -> str:
    """Accept Meta's timestamps (a string of digits, sometimes a number), refuse the rest."""
    if isinstance(value, bool):
        raise ValueError("a timestamp is not a boolean")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int):
        value = str(value)
    if not isinstance(value, str) or not value.isascii() or not value.isdigit():
        raise ValueError("a timestamp is a string of digits (unix seconds)")
    if int(value) > _MAX_TS:
        raise ValueError("timestamp out of range")
    return value


UnixSeconds = Annotated[str, BeforeValidator(_unix_seconds)]


def to_datetime(unix: str) -> datetime:
    """Meta's unix-seconds string as an aware UTC datetime."""
    return datetime.fromtimestamp(int(unix), tz=UTC)


class MetaModel(BaseModel):
    """Base of Meta's payloads: fields Meta adds later are ignored, never rejected."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True, frozen=True)


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
        log.warning("whatsapp.unknown_status", status=value, hint="ignored")
        return cls.UNKNOWN


class MarketingPreference(StrEnum):
    """What the customer chose in WhatsApp's marketing-messages setting."""

    STOP = "stop"
    RESUME = "resume"
    SIGNUP = "signup"
    UNKNOWN = "unknown"

    @classmethod
    def _missing_(cls, value: object) -> MarketingPreference:
        if isinstance(value, str) and value.lower() in cls._value2member_map_:
            return cls(value.lower())
        log.warning("whatsapp.unknown_preference", value=value, hint="ignored")
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
    """Interactive reply (``button_reply``, ``list_reply``; ``nfm_reply`` for Flows)."""

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
    url: str | None = None


class ContactName(MetaModel):
    """Name of a shared contact card."""

    formatted_name: str | None = None
    first_name: str | None = None
    last_name: str | None = None


class ContactPhone(MetaModel):
    """A phone number on a shared contact card."""

    phone: str | None = None
    wa_id: str | None = None
    type: str | None = None


class ContactEmail(MetaModel):
    """An e-mail address on a shared contact card."""

    email: str | None = None
    type: str | None = None


class ContactCard(MetaModel):
    """A contact card the customer shared (vCard-like)."""

    name: ContactName = Field(default_factory=ContactName)
    phones: list[ContactPhone] = Field(default_factory=list)
    emails: list[ContactEmail] = Field(default_factory=list)

    def describe(self) -> str:
        """One line for the transcript and the agent: name, phones, e-mails."""
        parts = [
            self.name.formatted_name
            or " ".join(p for p in (self.name.first_name, self.name.last_name) if p)
        ]
        parts += [p.phone or p.wa_id or "" for p in self.phones]
        parts += [e.email or "" for e in self.emails]
        return " ".join(p for p in parts if p).strip()


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
    href: str | None = None

    def describe(self) -> str:
        """``code title: details`` for logs and the dead-letter list."""
        details = self.error_data.details if self.error_data else None
        text = f"{self.code} {self.title or self.message or ''}".strip()
        return f"{text}: {details}" if details else text


class System(MetaModel):
    """System message (the customer changed number or identity)."""

    body: str | None = None
    type: str | None = None
    wa_id: str | None = None
    identity: str | None = None


class Message(MetaModel):
    """One inbound message of any type."""

    id: str
    from_: str = Field(alias="from")
    timestamp: UnixSeconds
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
    contacts: list[ContactCard] | None = None
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
        return to_datetime(self.timestamp)


class Pricing(MetaModel):
    """Pricing block of a status."""

    billable: bool | None = None
    pricing_model: str | None = None
    category: str | None = None
    type: str | None = None


class ConversationOrigin(MetaModel):
    """Why the conversation was opened (service, utility, marketing...)."""

    type: str | None = None


class Conversation(MetaModel):
    """The pricing conversation a status belongs to."""

    id: str | None = None
    origin: ConversationOrigin | None = None
    expiration_timestamp: UnixSeconds | None = None


class Status(MetaModel):
    """Delivery status of a message the business sent."""

    id: str
    status: StatusKind
    timestamp: UnixSeconds
    recipient_id: str | None = None
    errors: list[WaError] | None = None
    pricing: Pricing | None = None
    conversation: Conversation | None = None
    biz_opaque_callback_data: str | None = None

    @property
    def at(self) -> datetime:
        """When the status happened."""
        return to_datetime(self.timestamp)

    @property
    def error_codes(self) -> list[int]:
        """Codes of the attached errors (empty unless failed)."""
        return [error.code for error in self.errors or []]


class UserPreference(MetaModel):
    """A change of the customer's marketing-messages preference (Meta's opt-out switch)."""

    wa_id: str
    value: MarketingPreference
    category: str | None = None
    detail: str | None = None
    timestamp: UnixSeconds

    @property
    def at(self) -> datetime:
        """When the customer changed it."""
        return to_datetime(self.timestamp)


class Value(MetaModel):
    """The ``value`` of one change."""

    messaging_product: str | None = None
    metadata: Metadata = Field(default_factory=Metadata)
    contacts: list[WaContact] = Field(default_factory=list)
    messages: list[Message] = Field(default_factory=list)
    statuses: list[Status] = Field(default_factory=list)
    errors: list[WaError] = Field(default_factory=list)
    user_preferences: list[UserPreference] = Field(default_factory=list)


class Change(MetaModel):
    """One change of an entry; ``field`` says which kind (messages, user_preferences...)."""

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
