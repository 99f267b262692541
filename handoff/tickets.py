"""The ticket service: opening tickets, the gate, and every staff action on a ticket.

Each action checks who may do it, runs a pure transition (``handoff.lifecycle``) inside an
atomic Redis change (``handoff.store``), then performs its side effects: messages to the
customer through the hub, Rasa resume/pause, CRM webhooks (retried via the outbox).
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from handoff import lifecycle
from handoff.assignment import AssignmentService
from handoff.canned import CannedStore, render
from handoff.clients import DeliveryError, HubClient, OutboundMessage, RasaClient
from handoff.crm import CrmNotifier
from handoff.errors import (
    ConflictError,
    InvalidRequestError,
    NotFoundError,
    PermissionDeniedError,
    UpstreamError,
)
from handoff.lifecycle import SERVICE, SYSTEM
from handoff.messages import resolved_notice
from handoff.models import (
    Contact,
    CustomerMessageAccepted,
    CustomerMessageIn,
    GateState,
    Language,
    LeadSlots,
    MessageRole,
    Priority,
    Reason,
    ReopenRequest,
    ReplyRequest,
    ReplyResult,
    ResolveRequest,
    Role,
    StaffUser,
    Summary,
    Ticket,
    TicketCreate,
    TicketCreated,
    TicketEvent,
    TicketListItem,
    TicketPage,
    TicketStatus,
    TranscriptMessage,
    TransferRequest,
    normalize_phone,
)
from handoff.outbox import Outbox, OutboxJob, RasaJob
from handoff.store import Change, TicketStore, as_texts, queue_score
from handoff.summary import Extractor, build_summary
from handoff.teams import Team, TeamDirectory

logger = logging.getLogger(__name__)

MANAGERS = frozenset({Role.supervisor, Role.admin})
DEFAULT_PRIORITY = {Reason.complaint: Priority.high}


def now_utc() -> datetime:
    """The real clock."""
    return datetime.now(UTC)


def ticket_now(ticket: Ticket) -> datetime:
    """Now on the ticket's clock (the real clock, or a simulated ticket's script clock)."""
    return ticket.clock(now_utc())


def rasa_sender(phone: str) -> str:
    """Rasa's conversation id: the E.164 digits without ``+``."""
    return phone.lstrip("+")


@dataclass
class TicketService:
    """Everything that changes tickets; the API routes only translate HTTP to these calls."""

    store: TicketStore
    teams: TeamDirectory
    assignment: AssignmentService
    hub: HubClient
    rasa: RasaClient
    outbox: Outbox
    crm: CrmNotifier
    canned: CannedStore
    auto_assign: bool = True
    staff_language: Language = Language.it
    extract: Extractor | None = None
    simulated_clock: bool = False
    clock_tolerance_seconds: float = 120.0

    # --- service side (actions and hub) --------------------------------------------------

    async def open(self, request: TicketCreate) -> tuple[TicketCreated, bool]:
        """Open a ticket, or add the reason to the contact's open one (``False``)."""
        team = self._team(request.team or self.teams.route(request.reason, request.lead))
        priority = request.priority or DEFAULT_PRIORITY.get(request.reason, Priority.normal)
        opened_at = request.opened_at
        reasons = [request.reason]
        summary: Summary | None = None
        if await self.store.open_ticket_id(request.contact.phone) is None:
            # computed before the transaction, so no Redis connection waits on spaCy
            summary = await self._summary(
                request.contact,
                reasons,
                request.lead,
                request.transcript,
                request.unanswered,
                team.name,
            )

        async def create(ticket_id: str) -> Change:
            nonlocal summary
            summary = summary or await self._summary(
                request.contact,
                reasons,
                request.lead,
                request.transcript,
                request.unanswered,
                team.name,
            )
            offset = self._clock_offset(opened_at)
            return _new_ticket(ticket_id, request, team, priority, summary, offset)

        async def merge(old: Ticket) -> Change:
            return await self._merge(old, request)

        change, created = await self.store.create_or_merge(request.contact.phone, create, merge)
        ticket = change.ticket
        if request.reason is Reason.qualified_lead:
            await self.crm.notify("qualified_lead", ticket)
        if created:
            ticket = await self._auto_assign(ticket)
        calendar = self.teams.get(ticket.team).calendar
        answer = TicketCreated(
            ticket_id=ticket.id,
            team=ticket.team,
            priority=ticket.priority,
            status=ticket.status,
            sla_deadline=calendar.local(ticket.sla_deadline),
            is_open_now=calendar.is_open(opened_at),
            staff_reply_from=calendar.next_opening(opened_at),
        )
        return answer, created

    async def gate(self, phone: str) -> GateState:
        """``human`` while the contact has an open ticket."""
        ticket_id = await self.store.open_ticket_id(normalize_phone(phone))
        return GateState(mode="human" if ticket_id else "bot", ticket_id=ticket_id)

    async def customer_message(
        self, phone: str, message: CustomerMessageIn
    ) -> CustomerMessageAccepted:
        """Append a customer message to their open ticket (``NotFoundError`` if none)."""
        phone = normalize_phone(phone)
        ticket_id = await self.store.open_ticket_id(phone)
        if ticket_id is None:
            raise NotFoundError(f"{phone} has no open ticket; send the message to the bot")
        entry = TranscriptMessage(
            role=MessageRole.customer,
            text=message.text,
            ts=message.ts,
            type=message.type,
            wamid=message.wamid,
            media_id=message.media_id,
        )

        async def apply(ticket: Ticket) -> Change | None:
            # Deduplicated inside the transaction: a delivery retried after a worker lost its
            # shard mid-request is appended exactly once, never dropped by an early "seen" mark.
            if any(m.wamid == entry.wamid for m in ticket.transcript):
                return None
            change = lifecycle.add_customer_message(ticket, entry)
            await self._refresh_summary(change.ticket)
            return change

        try:
            change = await self.store.mutate(ticket_id, apply)
        except ConflictError:
            raise NotFoundError(
                f"{phone} has no open ticket; send the message to the bot"
            ) from None
        if change is None:
            return CustomerMessageAccepted(ticket_id=ticket_id, duplicate=True)
        return CustomerMessageAccepted(ticket_id=ticket_id)

    # --- staff side ----------------------------------------------------------------------

    async def get(self, ticket_id: str) -> Ticket:
        """One ticket with its summary, transcript, notes and history."""
        return await self.store.get(ticket_id)

    async def of_contact(self, phone: str) -> list[Ticket]:
        """Every ticket of one contact, newest first."""
        key = self.store.keys.contact_tickets(normalize_phone(phone))
        return await self.store.get_many(as_texts(await self.store.redis.zrevrange(key, 0, -1)))

    async def claim(self, ticket_id: str, user: StaffUser) -> Ticket:
        """Take a queued ticket; exactly one of several concurrent claims wins."""
        ticket = await self.store.get(ticket_id)
        self._check_team(ticket, user)
        await self._check_load(user, ticket)
        change = await self.store.mutate(
            ticket_id,
            _async(
                lambda t: lifecycle.assign(
                    t, user.username, user.username, ticket_now(t), claim=True
                )
            ),
        )
        return change.ticket if change else ticket

    async def reply(self, ticket_id: str, user: StaffUser, request: ReplyRequest) -> ReplyResult:
        """Send an agent's reply to the customer through the hub and audit it."""
        ticket = await self.store.get(ticket_id)
        if ticket.assignee is None and user.role in MANAGERS:
            ticket = await self.claim(ticket_id, user)  # a supervisor jumping in takes it
        self._check_holder(ticket, user, "reply to")
        if request.canned_id is not None:
            text = render((await self.canned.get(request.canned_id)).text, ticket, user)
        else:
            text = request.text or ""
        message = OutboundMessage(
            to=ticket.contact.phone,
            text=text,
            origin="agent",
            agent_id=user.username,
            ticket_id=ticket.id,
            idempotency_key=f"reply:{ticket.id}:{uuid.uuid4().hex}",
        )
        try:
            message_id = await self.hub.send_with_retry(message)
        except DeliveryError as exc:
            raise UpstreamError(f"the hub did not take the reply ({exc}); try again") from exc
        change = await self.store.mutate(
            ticket_id,
            _async(
                lambda t: lifecycle.agent_reply(t, user.username, text, message_id, ticket_now(t))
            ),
        )
        return ReplyResult(
            message_id=message_id, text=text, ticket=change.ticket if change else ticket
        )

    async def note(self, ticket_id: str, user: StaffUser, text: str) -> Ticket:
        """Add an internal note."""
        change = await self.store.mutate(
            ticket_id, _async(lambda t: lifecycle.add_note(t, user.username, text, ticket_now(t)))
        )
        return change.ticket if change else await self.store.get(ticket_id)

    async def transfer(self, ticket_id: str, user: StaffUser, request: TransferRequest) -> Ticket:
        """Move a ticket to another team's queue and/or to one agent."""
        ticket = await self.store.get(ticket_id)
        self._check_holder(ticket, user, "transfer")
        team = self._team(request.team or ticket.team)
        if request.agent is not None:
            await self._check_target_agent(request.agent, team.name)
        at = ticket_now(ticket)
        escalate_at = team.escalation_time(at) if ticket.first_response_at is None else None
        change = await self.store.mutate(
            ticket_id,
            _async(
                lambda t: lifecycle.transfer(
                    t,
                    team=team.name,
                    agent=request.agent,
                    actor=user.username,
                    at=at,
                    escalate_at=escalate_at,
                    note=request.note,
                )
            ),
        )
        moved = change.ticket if change else ticket
        if request.agent:
            return moved
        return await self._auto_assign(moved, exclude=user.username)

    async def resolve(self, ticket_id: str, user: StaffUser, request: ResolveRequest) -> Ticket:
        """Close the ticket and give the conversation back to the bot."""
        ticket = await self.store.get(ticket_id)
        self._check_holder(ticket, user, "resolve")
        change = await self.store.mutate(
            ticket_id,
            _async(lambda t: lifecycle.resolve(t, user.username, ticket_now(t), request.note)),
        )
        resolved = change.ticket if change else ticket
        await self._rasa_event(resolved, "resume")
        if request.notify_customer:
            await self._notify_customer(resolved, resolved_notice(resolved.contact.language))
        await self.crm.notify("ticket.resolved", resolved)
        return resolved

    async def reopen(self, ticket_id: str, user: StaffUser, request: ReopenRequest) -> Ticket:
        """Reopen a resolved ticket (the bot goes silent again for this contact)."""
        ticket = await self.store.get(ticket_id)
        self._check_team(ticket, user)
        team, at = self.teams.get(ticket.team), ticket_now(ticket)
        deadline = team.sla_deadline(ticket.priority, at)

        async def apply(current: Ticket) -> Change:
            change = lifecycle.reopen(
                current, user.username, at, deadline, team.escalation_time(at)
            )
            if request.note:
                note = lifecycle.add_note(change.ticket, user.username, request.note, at)
                change.entries += note.entries
            return change

        change = await self.store.mutate(ticket_id, apply)
        reopened = change.ticket if change else ticket
        await self._rasa_event(reopened, "pause")
        return await self._auto_assign(reopened)

    async def search(
        self,
        *,
        team: str | None = None,
        status: TicketStatus | Literal["open", "all"] = "open",
        assignee: str | None = None,
        breached: bool | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> TicketPage:
        """Tickets for the console: open ones in serving order by default."""
        key = (
            self.store.keys.tickets_open()
            if status in ("open", *_OPEN)
            else self.store.keys.tickets_all()
        )
        ids = as_texts(await self.store.redis.zrevrange(key, 0, 1999))
        tickets = [
            t
            for t in await self.store.get_many(ids)
            if _matches(t, team=team, status=status, assignee=assignee, breached=breached)
        ]
        tickets.sort(
            key=lambda t: (not t.status.is_open, queue_score(t) if t.status.is_open else 0)
        )
        page = tickets[offset : offset + limit]
        return TicketPage(total=len(tickets), tickets=[_list_item(t) for t in page])

    # --- background checks ---------------------------------------------------------------

    async def check_deadlines(self, at: datetime | None = None) -> tuple[int, int]:
        """Flag SLA breaches and escalate tickets nobody picked up; returns both counts.

        ``at`` is a real instant; each ticket is judged on its own clock at that instant.
        """
        at = at or now_utc()
        breached = escalated = 0
        for ticket_id in await self.store.due_ids(self.store.keys.sla_pending(), at):
            breached += await self._apply_quietly(
                ticket_id, lambda t: lifecycle.mark_breached(t, t.clock(at))
            )
        for ticket_id in await self.store.due_ids(self.store.keys.escalation_pending(), at):
            change = await self._escalate(ticket_id, at)
            if change is not None:
                escalated += 1
                previous = change.entries[0].detail.get("previous_agent")
                await self._auto_assign(change.ticket, exclude=str(previous) if previous else None)
        return breached, escalated

    async def assign_queued(self, teams: list[str] | None = None) -> int:
        """Offer queued tickets to available agents; returns how many were assigned."""
        if not self.auto_assign:
            return 0
        assigned = 0
        for team in teams or list(self.teams.teams):
            for ticket in await self.store.get_many(await self.store.queue_ids(team, 50)):
                after = await self._auto_assign(ticket)
                if after.assignee is None:
                    break  # nobody available in this team
                assigned += 1
        return assigned

    # --- helpers -------------------------------------------------------------------------

    def _clock_offset(self, opened_at: datetime) -> float:
        """Seconds between a simulated message clock and the real one (0 on the real clock)."""
        offset = (opened_at - now_utc()).total_seconds()
        if not self.simulated_clock or abs(offset) <= self.clock_tolerance_seconds:
            return 0.0
        return offset

    async def _merge(self, old: Ticket, request: TicketCreate) -> Change:
        bump = request.priority or DEFAULT_PRIORITY.get(request.reason)
        change = lifecycle.add_reason(old, request.reason, bump, request.opened_at)
        ticket = change.ticket
        known = {(m.role, m.ts, m.text) for m in ticket.transcript}
        ticket.transcript += [m for m in request.transcript if (m.role, m.ts, m.text) not in known]
        if request.lead is not None:
            merged = (ticket.lead or LeadSlots()).model_dump() | request.lead.model_dump(
                exclude_none=True
            )
            ticket.lead = LeadSlots.model_validate(merged)
        ticket.unanswered += [q for q in request.unanswered if q not in ticket.unanswered]
        if request.contact.name and not ticket.contact.name:
            ticket.contact = ticket.contact.model_copy(update={"name": request.contact.name})
        await self._refresh_summary(ticket)
        return change

    async def _refresh_summary(self, ticket: Ticket) -> None:
        ticket.summary = await self._summary(
            ticket.contact,
            ticket.reasons,
            ticket.lead,
            ticket.transcript,
            ticket.unanswered,
            ticket.team,
        )

    async def _summary(
        self,
        contact: Contact,
        reasons: list[Reason],
        lead: LeadSlots | None,
        transcript: list[TranscriptMessage],
        unanswered: list[str],
        team: str,
    ) -> Summary:
        return await asyncio.to_thread(
            build_summary,
            contact=contact,
            reasons=reasons,
            lead=lead,
            transcript=transcript,
            unanswered=unanswered,
            extract=self.extract,
            staff_language=self.staff_language,
            timezone=self.teams.get(team).calendar.timezone,
        )

    async def _auto_assign(self, ticket: Ticket, exclude: str | None = None) -> Ticket:
        if not self.auto_assign or ticket.status is not TicketStatus.queued:
            return ticket
        agent = await self.assignment.pick(ticket, frozenset({exclude} if exclude else ()))
        if agent is None:
            return ticket
        try:
            change = await self.store.mutate(
                ticket.id,
                _async(lambda t: lifecycle.assign(t, agent, SYSTEM, ticket_now(t), claim=False)),
            )
        except ConflictError:
            return await self.store.get(ticket.id)
        return change.ticket if change else ticket

    async def _escalate(self, ticket_id: str, at: datetime) -> Change | None:
        try:
            return await self.store.mutate(
                ticket_id, _async(lambda t: lifecycle.escalate(t, t.clock(at)))
            )
        except (NotFoundError, ConflictError):
            return None

    async def _apply_quietly(self, ticket_id: str, transition: Transition) -> int:
        try:
            return int(bool(await self.store.mutate(ticket_id, _async(transition))))
        except (NotFoundError, ConflictError):
            return 0

    async def _rasa_event(self, ticket: Ticket, event: Literal["resume", "pause"]) -> None:
        sender = rasa_sender(ticket.contact.phone)
        try:
            await self.rasa.append_event(sender, event)
        except DeliveryError as exc:
            logger.warning(
                "Rasa %s for %s failed (%s); retrying in the background", event, sender, exc
            )
            await self.outbox.put(OutboxJob(kind="rasa", rasa=RasaJob(sender=sender, event=event)))

    async def _notify_customer(self, ticket: Ticket, text: str) -> None:
        message = OutboundMessage(
            to=ticket.contact.phone,
            text=text,
            origin="system",
            ticket_id=ticket.id,
            idempotency_key=f"notice:{ticket.id}:{uuid.uuid4().hex}",
        )
        try:
            await self.hub.send(message)
        except DeliveryError as exc:
            logger.warning(
                "notice to %s failed (%s); retrying in the background", ticket.contact.phone, exc
            )
            await self.outbox.put(OutboxJob(kind="outbound", outbound=message))

    def _team(self, name: str) -> Team:
        try:
            return self.teams.get(name)
        except KeyError as exc:
            raise InvalidRequestError(str(exc.args[0])) from None

    @staticmethod
    def _check_team(ticket: Ticket, user: StaffUser) -> None:
        if user.role in MANAGERS or not user.teams or ticket.team in user.teams:
            return
        raise PermissionDeniedError(
            f"ticket {ticket.id} belongs to team {ticket.team}; ask a supervisor to transfer it"
        )

    @staticmethod
    def _check_holder(ticket: Ticket, user: StaffUser, action: str) -> None:
        if user.role in MANAGERS or ticket.assignee == user.username:
            return
        if ticket.assignee is None:
            raise ConflictError(f"claim ticket {ticket.id} before you {action} it")
        raise PermissionDeniedError(
            f"ticket {ticket.id} is held by {ticket.assignee}; "
            f"only they or a supervisor can {action} it"
        )

    async def _check_load(self, user: StaffUser, ticket: Ticket) -> None:
        if user.role is not Role.agent or ticket.assignee == user.username:
            return
        load = await self.store.redis.scard(self.store.keys.agent_tickets(user.username))
        if load >= user.max_concurrent:
            raise ConflictError(
                f"you hold {load} tickets (max {user.max_concurrent}); "
                "resolve or transfer one first"
            )

    async def _check_target_agent(self, username: str, team: str) -> None:
        agent = await self.assignment.directory.get(username)
        if agent is None or agent.disabled or agent.role not in (Role.agent, *MANAGERS):
            raise InvalidRequestError(f"{username} is not an enabled agent")
        if agent.role is Role.agent and agent.teams and team not in agent.teams:
            raise InvalidRequestError(
                f"{username} does not work for team {team}; transfer to the team"
            )


def _new_ticket(
    ticket_id: str,
    request: TicketCreate,
    team: Team,
    priority: Priority,
    summary: Summary,
    clock_offset: float = 0.0,
) -> Change:
    """The ``created`` change of a new ticket (SLA and escalation from the message time)."""
    opened_at = request.opened_at
    ticket = Ticket(
        id=ticket_id,
        contact=request.contact,
        reason=request.reason,
        reasons=[request.reason],
        team=team.name,
        priority=priority,
        status=TicketStatus.queued,
        created_at=opened_at,
        updated_at=opened_at,
        sla_deadline=team.sla_deadline(priority, opened_at),
        staff_reply_from=team.calendar.next_opening(opened_at),
        escalate_at=team.escalation_time(opened_at),
        lead=request.lead,
        transcript=list(request.transcript),
        unanswered=list(request.unanswered),
        summary=summary,
        clock_offset_seconds=clock_offset,
    )
    detail = {"reason": request.reason.value, "team": team.name, "priority": priority.value}
    return lifecycle.record(ticket, TicketEvent.created, SERVICE, opened_at, ["created"], **detail)


_OPEN = tuple(s.value for s in TicketStatus if s.is_open)
Transition = Callable[[Ticket], Change | None]


def _async(transition: Transition) -> Callable[[Ticket], Awaitable[Change | None]]:
    """Wrap a pure transition so ``TicketStore.mutate`` can await it."""

    async def apply(ticket: Ticket) -> Change | None:
        return transition(ticket)

    return apply


def _matches(
    ticket: Ticket,
    *,
    team: str | None,
    status: TicketStatus | str,
    assignee: str | None,
    breached: bool | None,
) -> bool:
    if status == "open" and not ticket.status.is_open:
        return False
    if status not in ("open", "all") and ticket.status != status:
        return False
    if team is not None and ticket.team != team:
        return False
    if assignee is not None and ticket.assignee != assignee:
        return False
    return breached is None or ticket.sla_breached == breached


def _list_item(ticket: Ticket) -> TicketListItem:
    last = ticket.transcript[-1].ts if ticket.transcript else None
    return TicketListItem(
        id=ticket.id,
        contact=ticket.contact,
        reason=ticket.reason,
        team=ticket.team,
        priority=ticket.priority,
        status=ticket.status,
        assignee=ticket.assignee,
        created_at=ticket.created_at,
        sla_deadline=ticket.sla_deadline,
        sla_breached=ticket.sla_breached,
        escalated=ticket.escalated,
        summary_text=ticket.summary.text,
        last_message_at=last,
        first_response_at=ticket.first_response_at,
    )
