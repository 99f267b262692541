"""Opt-out (STOP) and opt-in (START), recorded in the hub's consent log."""

from __future__ import annotations

import httpx
import structlog
from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.config import get_settings
from actions.context import contact_phone, intent_of, message_time

log = structlog.get_logger(__name__)


class ActionSetConsent(Action):
    """Records the customer's choice and confirms it."""

    def name(self) -> str:
        """Action name."""
        return "action_set_consent"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """STOP → opted out, START → opted in; the confirmation is always sent."""
        opting_out = intent_of(tracker) == "stop"
        state = "opted_out" if opting_out else "opted_in"
        settings = get_settings()
        body = {
            "state": state,
            "channel": "whatsapp",
            "source": "customer_message",
            "at": message_time(tracker).isoformat(),
        }
        headers = {"Authorization": f"Bearer {settings.service_token.get_secret_value()}"}
        url = f"{settings.hub_url.rstrip('/')}/api/contacts/{contact_phone(tracker)}/consent"
        try:
            async with httpx.AsyncClient(timeout=settings.timeout_s) as http:
                (await http.post(url, json=body, headers=headers)).raise_for_status()
        except httpx.HTTPError as exc:
            log.error("consent.not_recorded", error=repr(exc), state=state)
        dispatcher.utter_message(
            response="utter_stop_confirmed" if opting_out else "utter_start_confirmed"
        )
        return []
