"""Typed shapes of tickets, summaries, staff users and every request and response."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

_E164 = re.compile(r"^\+[1-9]\d{6,14}$")
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,31}$")
FactValue = str | int | float | bool | None


class Role(StrEnum):
    """Staff roles; ``admin`` passes every role check."""

    agent = "agent"
    supervisor = "supervisor"
    editor = "editor"
    admin = "admin"


class TicketStatus(StrEnum):
    """Where a ticket is in its life; only ``resolved`` gives the conversation back."""

    queued = "queued"
    assigned = "assigned"
    waiting_customer = "waiting_customer"
    resolved = "resolved"

    @property
    def is_open(self) -> bool:
        """Whether the conversation is still with a human."""
        return self is not TicketStatus.resolved


class Reason(StrEnum):
    """Why the bot handed the conversation off."""

    human_requested = "human_requested"
    bot_failed = "bot_failed"
    qualified_lead = "qualified_lead"
    complaint = "complaint"


class Priority(StrEnum):
    """Ticket priority; queues serve ``urgent`` first."""

    low = "low"
    normal = "normal"
    high = "high"
    urgent = "urgent"

    @property
    def rank(self) -> int:
        """Queue rank: 0 is served first."""
        return {"urgent": 0, "high": 1, "normal": 2, "low": 3}[self.value]


class Language(StrEnum):
    """Languages the customer can be answered in."""

    it = "it"
    en = "en"


class MessageRole(StrEnum):
    """Who wrote a transcript message."""

    customer = "customer"
    bot = "bot"
    agent = "agent"


class TicketEvent(StrEnum):
    """Events of a ticket's history and of the audit stream."""

    created = "created"
    reason_added = "reason_added"
    customer_message = "customer_message"
    assigned = "assigned"
    claimed = "claimed"
    replied = "replied"
    note = "note"
    transferred = "transferred"
    requeued = "requeued"
    escalated = "escalated"
    sla_breached = "sla_breached"
    resolved = "resolved"
    reopened = "reopened"
    erased = "erased"
    kb_saved = "kb_saved"  # not a ticket: ticket_id is ``kb:<lang>/<id>`` (KB editor)
    kb_restored = "kb_restored"
    team_changed = "team_changed"  # not a ticket: ticket_id is ``team:<name>`` (admin pages)
    team_reset = "team_reset"
    template_saved = "template_saved"  # not a ticket: ticket_id is ``template:<name>``
    template_deleted = "template_deleted"


def normalize_phone(phone: str) -> str:
    """Return a phone as E.164 with ``+`` (accepts spaces, dashes, ``00`` or no ``+``)."""
    compact = re.sub(r"[\s().-]", "", phone)
    if compact.startswith("00"):
        compact = "+" + compact[2:]
    if not compact.startswith("+"):
        compact = "+" + compact
    if not _E164.match(compact):
        raise ValueError(f"{phone!r} is not a phone number in E.164 form, e.g. +393331234567")
    return compact


def _empty_to_none(value: object) -> object:
    return None if value == "" else value


def _check_username(name: str) -> str:
    if not _USERNAME.match(name):
        raise ValueError("usernames are 2-32 characters: a-z, 0-9, '.', '_' or '-'")
    return name


Phone = Annotated[str, AfterValidator(normalize_phone)]
Username = Annotated[str, AfterValidator(_check_username)]


class ApiModel(BaseModel):
    """Base of our own API models: unknown fields are refused."""

    model_config = ConfigDict(extra="forbid")


# --- tickets ----------------------------------------------------------------------------


class Contact(ApiModel):
    """The customer on WhatsApp."""

    phone: Phone
    name: str | None = None
    language: Language = Language.it


class TranscriptMessage(ApiModel):
    """One message of the conversation, as the bot or the hub recorded it."""

    role: MessageRole
    text: str
    ts: Annotated[AwareDatetime | None, BeforeValidator(_empty_to_none)] = None
    type: str = "text"
    wamid: str | None = None
    media_id: str | None = None
    agent_id: str | None = None


class LeadSlots(ApiModel):
    """Lead slots filled by the lead form, already normalised by the action.

    Types are lenient on purpose (a refused ticket leaves the customer without a person):
    ``lead_type`` is normally ``buy``, ``rent`` or ``sell``; ``timeframe`` months or free text.
    """

    lead_type: str | None = None
    area: str | None = None
    budget_max: int | float | None = None
    surface_min: int | float | None = None
    rooms: int | float | None = None
    timeframe: int | float | str | None = None
    contact_name: str | None = None
    contact_phone: str | None = None
    contact_email: str | None = None

    @field_validator("budget_max", "surface_min", "rooms", "timeframe")
    @classmethod
    def _whole_numbers_as_int(cls, value: object) -> object:
        """Rasa float slots send ``3.0``: keep it ``3``."""
        return int(value) if isinstance(value, float) and value.is_integer() else value


class TicketCreate(ApiModel):
    """What the action server sends to open a ticket (CONTRACTS, Actions -> handoff)."""

    contact: Contact
    reason: Reason
    team: str | None = None
    priority: Priority | None = None
    lead: LeadSlots | None = None
    transcript: list[TranscriptMessage] = Field(default_factory=list)
    unanswered: list[str] = Field(default_factory=list)
    opened_at: AwareDatetime


class TicketCreated(ApiModel):
    """Answer to ``TicketCreate``: what to tell the customer about the wait."""

    ticket_id: str
    team: str
    priority: Priority
    status: TicketStatus
    sla_deadline: AwareDatetime
    is_open_now: bool
    staff_reply_from: AwareDatetime


class GateState(ApiModel):
    """Whether the bot may answer a contact."""

    mode: Literal["bot", "human"]
    ticket_id: str | None = None


class CustomerMessageIn(ApiModel):
    """A customer message the hub routes to the open ticket instead of Rasa."""

    text: str = ""
    type: str = "text"
    wamid: str
    ts: AwareDatetime
    media_id: str | None = None


class ContactErased(ApiModel):
    """What a GDPR erasure removed."""

    tickets: int
    audit_entries: int


class ContactExport(ApiModel):
    """Everything the handoff service holds about one contact (GDPR export)."""

    phone: str
    tickets: list[Ticket]
    audit: list[AuditEntry]


class RetentionRequest(ApiModel):
    """Erase tickets resolved before a time (the caller's retention cutoff)."""

    resolved_before: AwareDatetime


class CustomerMessageAccepted(ApiModel):
    """Answer to ``CustomerMessageIn``."""

    ticket_id: str
    duplicate: bool = False


class FactSource(ApiModel):
    """The transcript message a fact was read from."""

    message_index: int
    ts: AwareDatetime | None
    quote: str
    raw: str


class SummaryFact(ApiModel):
    """One fact of the summary, with where it came from (never invented)."""

    key: str
    value: FactValue
    origin: Literal["transcript", "lead_form"]
    source: FactSource | None = None


class Summary(ApiModel):
    """What an agent reads instead of the chat."""

    who: Contact
    reason: Reason
    reasons: list[Reason]
    lead: LeadSlots = Field(description="lead slots: the form's values, completed from facts")
    facts: list[SummaryFact]
    unanswered: list[str]
    last_messages: list[TranscriptMessage]
    text: str = Field(max_length=1000)


class HistoryEntry(ApiModel):
    """One line of a ticket's history (mirrored in the audit stream)."""

    event: TicketEvent
    at: AwareDatetime
    actor: str
    detail: dict[str, FactValue] = Field(default_factory=dict)


class Note(ApiModel):
    """An internal note, never sent to the customer."""

    author: str
    text: str
    at: AwareDatetime


class Ticket(ApiModel):
    """The stored ticket: one JSON document per ticket in Redis."""

    id: str
    contact: Contact
    reason: Reason
    reasons: list[Reason]
    team: str
    priority: Priority
    status: TicketStatus
    assignee: str | None = None
    created_at: AwareDatetime
    updated_at: AwareDatetime
    sla_deadline: AwareDatetime
    staff_reply_from: AwareDatetime | None = None
    first_response_at: AwareDatetime | None = None
    sla_breached: bool = False
    escalate_at: AwareDatetime | None = None
    escalated: bool = False
    claimed_at: AwareDatetime | None = None
    resolved_at: AwareDatetime | None = None
    resolved_by: str | None = None
    lead: LeadSlots | None = None
    transcript: list[TranscriptMessage] = Field(default_factory=list)
    unanswered: list[str] = Field(default_factory=list)
    notes: list[Note] = Field(default_factory=list)
    summary: Summary
    history: list[HistoryEntry] = Field(default_factory=list)
    clock_offset_seconds: float = Field(
        default=0.0,
        description="simulator mode: the opening message's clock minus the real clock; "
        "every time of the ticket (SLA, escalation, staff actions) is on real time + offset",
    )

    def clock(self, real_now: datetime) -> datetime:
        """The ticket's own clock at a real instant (the script's clock for simulated tickets).

        A script's messages run ahead of the real seconds between them: a simulated ticket's
        clock is never earlier than the latest message it holds.
        """
        now = real_now + timedelta(seconds=self.clock_offset_seconds)
        if not self.clock_offset_seconds:
            return now
        return max([now, *(m.ts for m in self.transcript if m.ts is not None)])

    def real_time(self, ticket_time: datetime) -> datetime:
        """The real instant of a time on the ticket's clock (what the deadline indexes hold)."""
        return ticket_time - timedelta(seconds=self.clock_offset_seconds)


class TicketListItem(ApiModel):
    """A ticket as one row of the queue."""

    id: str
    contact: Contact
    reason: Reason
    team: str
    priority: Priority
    status: TicketStatus
    assignee: str | None
    created_at: AwareDatetime
    sla_deadline: AwareDatetime
    sla_breached: bool
    escalated: bool
    summary_text: str
    last_message_at: AwareDatetime | None
    first_response_at: AwareDatetime | None = None


class TicketPage(ApiModel):
    """A page of tickets."""

    total: int
    tickets: list[TicketListItem]


class ReplyRequest(ApiModel):
    """An agent's reply: free text or a canned reply (placeholders filled in)."""

    text: str | None = Field(default=None, min_length=1, max_length=4096)
    canned_id: str | None = None

    @model_validator(mode="after")
    def _one_of(self) -> ReplyRequest:
        if (self.text is None) == (self.canned_id is None):
            raise ValueError("send either 'text' or 'canned_id'")
        return self


class ReplyResult(ApiModel):
    """Answer to a reply: the hub's outbound message id and the updated ticket."""

    message_id: str
    text: str
    ticket: Ticket


class NoteRequest(ApiModel):
    """An internal note."""

    text: str = Field(min_length=1, max_length=4000)


class TransferRequest(ApiModel):
    """Move a ticket to another team (back to its queue) and/or to one agent."""

    team: str | None = None
    agent: str | None = None
    note: str | None = None

    @model_validator(mode="after")
    def _target(self) -> TransferRequest:
        if self.team is None and self.agent is None:
            raise ValueError("give 'team', 'agent' or both")
        return self


class ResolveRequest(ApiModel):
    """Close a ticket and give the conversation back to the bot."""

    note: str | None = None
    notify_customer: bool = True


class ReopenRequest(ApiModel):
    """Reopen a resolved ticket (the conversation goes back to a human)."""

    note: str | None = None


class AuditEntry(ApiModel):
    """One entry of the append-only audit stream."""

    id: str
    ticket_id: str
    event: TicketEvent
    actor: str
    at: AwareDatetime
    detail: dict[str, FactValue]


class QueueEvent(ApiModel):
    """A queue change pushed to consoles over SSE."""

    type: str
    ticket_id: str
    team: str
    status: TicketStatus
    priority: Priority
    assignee: str | None
    at: AwareDatetime


class TeamStats(ApiModel):
    """Counters and current queue of one team."""

    team: str
    queued: int
    open: int
    created: int
    resolved: int
    sla_breached: int
    escalated: int
    open_breached: int


class StatsResponse(ApiModel):
    """Totals and per-team counters."""

    created: int
    resolved: int
    sla_breached: int
    escalated: int
    open: int
    teams: list[TeamStats]


# --- staff ------------------------------------------------------------------------------


class StaffUserBase(ApiModel):
    """Fields of a staff user shared by input and output shapes."""

    username: Username
    display_name: str | None = None
    role: Role
    teams: list[str] = Field(default_factory=list)
    areas: list[str] = Field(default_factory=list)
    max_concurrent: int = Field(default=5, ge=1, le=100)


class StaffUserCreate(StaffUserBase):
    """A new staff user with the password to hash."""

    password: str = Field(min_length=8, max_length=256)


class StaffUserUpdate(ApiModel):
    """Changes to a staff user (only the fields given)."""

    display_name: str | None = None
    role: Role | None = None
    teams: list[str] | None = None
    areas: list[str] | None = None
    max_concurrent: int | None = Field(default=None, ge=1, le=100)
    password: str | None = Field(default=None, min_length=8, max_length=256)
    disabled: bool | None = None


class StaffUserPublic(StaffUserBase):
    """A staff user as the API shows it (no password hash)."""

    disabled: bool = False
    online: bool = False
    created_at: datetime


class StaffUser(StaffUserPublic):
    """The stored staff user."""

    password_hash: str

    def public(self) -> StaffUserPublic:
        """Return the user without the password hash."""
        return StaffUserPublic.model_validate(self.model_dump(exclude={"password_hash"}))

    @property
    def name(self) -> str:
        """Name shown to customers ({agent} placeholder)."""
        return self.display_name or self.username


class LoginRequest(ApiModel):
    """Username and password."""

    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


class LoginResponse(ApiModel):
    """A new session: bearer token for API clients, CSRF token for cookie clients."""

    token: str
    csrf_token: str
    expires_at: AwareDatetime
    user: StaffUserPublic


class PresenceUpdate(ApiModel):
    """An agent going online or offline."""

    online: bool


class CannedReplyIn(ApiModel):
    """A quick reply; placeholders: {name}, {agent}, {ticket_id}, {team}, {phone}, {area}."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")
    title: str = Field(min_length=1, max_length=120)
    text: str = Field(min_length=1, max_length=4096)
    language: Language | None = None
    team: str | None = None


class CannedReply(CannedReplyIn):
    """A stored quick reply."""


class CannedRendered(ApiModel):
    """A canned reply with the placeholders filled for one ticket."""

    id: str
    text: str


class OutboxStatus(ApiModel):
    """Deliveries waiting or dead for one kind (``crm``, ``rasa``, ``outbound``)."""

    kind: str
    pending: int
    dead: int
    last_errors: list[str]
