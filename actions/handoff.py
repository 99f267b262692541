"""Handoff to a person: opens a ticket through the hub's handoff API and pauses the bot."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import structlog
from rasa_sdk import Action, Tracker
from rasa_sdk.events import ConversationPaused, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_attempt, wait_exponential

import facts
from actions.config import get_settings
from actions.context import contact_phone, intent_of, language_of, message_time
from actions.formatting import when_text

log = structlog.get_logger(__name__)

LEAD_KEYS = facts.LEAD_SLOTS
TEAM_BY_LEAD_TYPE = {"buy": "sales", "sell": "sales", "rent": "rentals"}
REASON_BY_INTENT = {
    "request_human": "human_requested",
    "complaint": "complaint",
    "book_viewing": "human_requested",
}


def transcript_of(tracker: Tracker) -> list[dict[str, str]]:
    """Customer and bot messages of the conversation, oldest first, on the message clock.

    A customer message carries its WhatsApp time (``metadata.now``, a script's clock in the
    simulator); bot replies keep their distance from the message they answer.
    """
    lines: list[dict[str, str]] = []
    shift = 0.0  # message clock minus Rasa's clock, from the latest customer message
    for event in tracker.events:
        kind = event.get("event")
        text = event.get("text")
        if kind not in ("user", "bot") or not text:
            continue
        ts = event.get("timestamp")
        sent = (event.get("metadata") or {}).get("now") if kind == "user" else None
        if sent and ts:
            shift = datetime.fromisoformat(str(sent)).timestamp() - float(ts)
        when = datetime.fromtimestamp(float(ts) + shift, UTC).isoformat() if ts else ""
        lines.append({"role": "customer" if kind == "user" else "bot", "text": text, "ts": when})
    return lines


def _ticket_body(tracker: Tracker, reason: str, unanswered: list[str] | None) -> dict[str, Any]:
    slots = tracker.current_slot_values()
    lead = {k: slots.get(k) for k in LEAD_KEYS if slots.get(k) is not None}
    lead_type = slots.get("lead_type")
    team = (
        TEAM_BY_LEAD_TYPE.get(str(lead_type))
        if reason in ("qualified_lead", "human_requested")
        else None
    )
    if reason in ("complaint", "bot_failed"):
        team = "support"
    return {
        "contact": {
            "phone": contact_phone(tracker),
            "name": slots.get("contact_name"),
            "language": language_of(tracker),
        },
        "reason": reason,
        "team": team,
        "priority": "high" if reason == "complaint" else None,
        "lead": lead or None,
        "transcript": transcript_of(tracker),
        "unanswered": unanswered or [],
        "opened_at": message_time(tracker).isoformat(),
    }


async def _open_ticket(body: dict[str, Any]) -> dict[str, Any]:
    settings = get_settings()
    headers = {"Authorization": f"Bearer {settings.service_token.get_secret_value()}"}
    async with httpx.AsyncClient(timeout=settings.timeout_s) as http:
        async for attempt in AsyncRetrying(
            stop=stop_after_attempt(3),
            wait=wait_exponential(multiplier=0.3, max=2),
            retry=retry_if_exception_type(httpx.TransportError),
            reraise=True,
        ):
            with attempt:
                response = await http.post(
                    f"{settings.handoff_base}/api/handoff/tickets", json=body, headers=headers
                )
                response.raise_for_status()
    ticket: dict[str, Any] = response.json()
    return ticket


async def request_handoff(
    dispatcher: CollectingDispatcher,
    tracker: Tracker,
    domain: DomainDict,
    *,
    reason: str,
    unanswered: list[str] | None = None,
) -> list[EventType]:
    """Open (or join) the contact's ticket, tell the customer when a person answers, pause."""
    language = language_of(tracker)
    try:
        ticket = await _open_ticket(_ticket_body(tracker, reason, unanswered))
    except (httpx.HTTPError, ValueError) as exc:
        log.error("handoff.unavailable", error=repr(exc), reason=reason)
        dispatcher.utter_message(
            response="utter_handoff_unavailable", agency_phone=get_settings().agency_phone
        )
        return [SlotSet("bot_misses", 0.0)]
    now = message_time(tracker)
    reply_at = promised_reply_at(ticket, now)
    when = when_text(reply_at.astimezone(now.tzinfo), now, language)
    if reason == "complaint":
        dispatcher.utter_message(response="utter_complaint_ack", staff_reply_from_text=when)
    elif ticket.get("is_open_now", True):
        dispatcher.utter_message(response="utter_handoff_open", staff_reply_from_text=when)
    else:
        dispatcher.utter_message(response="utter_handoff_closed_hours", staff_reply_from_text=when)
    return [SlotSet("bot_misses", 0.0), ConversationPaused()]


def promised_reply_at(ticket: dict[str, Any], now: datetime) -> datetime:
    """The time promised to the customer: the SLA deadline, not the ticket's opening time.

    While the office is open that is the first-response deadline; when it is closed (or the
    deadline of a ticket the customer joins has passed) the opening time ``staff_reply_from``.
    """
    opening = datetime.fromisoformat(ticket["staff_reply_from"])
    if not ticket.get("is_open_now", True) or not ticket.get("sla_deadline"):
        return opening
    deadline = datetime.fromisoformat(ticket["sla_deadline"])
    return deadline if deadline >= now else opening


class ActionHandoff(Action):
    """The customer asked for a person, complained, or wants a viewing arranged."""

    def name(self) -> str:
        """Action name."""
        return "action_handoff"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """Hand off with the reason the intent implies."""
        reason = REASON_BY_INTENT.get(intent_of(tracker) or "", "human_requested")
        if intent_of(tracker) == "book_viewing":
            dispatcher.utter_message(response="utter_book_viewing")
        return await request_handoff(dispatcher, tracker, domain, reason=reason)
