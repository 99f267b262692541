"""Lead qualification: slot extraction every turn, the lead form's validation, the recap."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

import facts
from actions.context import contact_phone, intent_of, language_of, message_time
from actions.formatting import format_lead_values

LEAD_TYPE_BY_INTENT = {"buy_property": "buy", "rent_property": "rent", "sell_property": "sell"}
LEAD_SLOTS = facts.ENTITY_SLOTS
GENERIC_AREA = "Milano"
# Intents that change the subject: the message is not an answer to the form's question.
DIGRESSIONS = {
    "faq",
    "request_human",
    "complaint",
    "stop",
    "start",
    "bot_challenge",
    "goodbye",
    "thank",
    "greet",
    "book_viewing",
    "out_of_scope",
    "deny",
    "nlu_fallback",
}
REQUIRED_BY_TYPE = {
    "buy": ["area", "budget_max", "rooms", "timeframe", "contact_name", "contact_phone"],
    "rent": ["area", "budget_max", "rooms", "timeframe", "contact_name", "contact_phone"],
    "sell": ["area", "surface_min", "rooms", "timeframe", "contact_name", "contact_phone"],
}
BUDGET_RANGE = {"buy": (20_000, 50_000_000), "rent": (100, 50_000), "sell": (1, 100_000_000)}


class ActionExtractLeadFacts(Action):
    """Lead type and lead facts of a user turn (custom slot mappings in the domain).

    Runs on turns that may carry lead facts and on every turn of the lead form; the language
    and the miss counter are filled without it (``from_entity`` / ``from_intent`` mappings).
    """

    def name(self) -> str:
        """Action name used by the slot mappings of the domain."""
        return "action_extract_lead_facts"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """Return the slots this message fills; nothing is guessed."""
        text = (tracker.latest_message or {}).get("text") or ""
        language = language_of(tracker)
        intent = intent_of(tracker)
        slots: dict[str, Any] = {}
        if intent in LEAD_TYPE_BY_INTENT:
            slots["lead_type"] = LEAD_TYPE_BY_INTENT[intent]
        if not tracker.get_slot("contact_phone"):
            slots["contact_phone"] = contact_phone(tracker)
        if text and not text.startswith("/"):
            slots.update(_facts_in(text, language, tracker))
            requested = _requested_slot(tracker)
            if requested and requested not in slots and intent not in DIGRESSIONS:
                slots[requested] = text  # the validator parses it in context or re-asks
        return [
            SlotSet(name, value) for name, value in slots.items() if tracker.get_slot(name) != value
        ]


def _facts_in(text: str, language: str, tracker: Tracker) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for fact in facts.extract_facts(text, language, now=message_time(tracker)):
        key = str(fact.key)
        if key == "area" and fact.value == GENERIC_AREA and _requested_slot(tracker) != "area":
            continue  # "a Milano" says nothing about the neighbourhood: still ask for it
        if key in LEAD_SLOTS and key not in found:
            found[key] = fact.value
        elif key == "lead_type" and not tracker.get_slot("lead_type"):
            found["lead_type"] = fact.value
    return found


def _requested_slot(tracker: Tracker) -> str | None:
    if tracker.active_loop_name != "lead_form":
        return None
    requested = tracker.get_slot("requested_slot")
    return str(requested) if requested else None


class ValidateLeadForm(FormValidationAction):
    """Asks only for what is missing for the lead type, and normalises each answer."""

    def name(self) -> str:
        """``validate_<form>``: the SDK derives the form name from it."""
        return "validate_lead_form"

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[str]:
        """The slots still to fill for this lead type (``lead_type`` first when unknown)."""
        lead_type = tracker.get_slot("lead_type")
        if lead_type not in REQUIRED_BY_TYPE:
            return ["lead_type", *REQUIRED_BY_TYPE["buy"]]
        return list(REQUIRED_BY_TYPE[lead_type])

    def _reject(self, dispatcher: CollectingDispatcher, slot: str) -> dict[str, Any]:
        dispatcher.utter_message(response=f"utter_invalid_{slot}")
        return {slot: None}

    def validate_lead_type(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """Buy, rent or sell."""
        return {"lead_type": value if value in REQUIRED_BY_TYPE else None}

    def validate_area(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """A Milan neighbourhood or nearby town from the gazetteer."""
        area = facts.match_area(str(value))
        return {"area": area} if area else self._reject(dispatcher, "area")

    def validate_budget_max(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """Euros (monthly for rent), within a plausible range for the lead type."""
        lead_type = tracker.get_slot("lead_type") or "buy"
        budget = (
            value
            if isinstance(value, int | float)
            else facts.parse_budget(str(value), language_of(tracker), lead_type=lead_type)
        )
        low, high = BUDGET_RANGE.get(lead_type, BUDGET_RANGE["buy"])
        if budget is None or not low <= budget <= high:
            return self._reject(dispatcher, "budget_max")
        return {"budget_max": int(budget)}

    def validate_surface_min(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """Square metres between 10 and 10,000."""
        surface = (
            value
            if isinstance(value, int | float)
            else facts.parse_surface(str(value), language_of(tracker))
        )
        if surface is None or not 10 <= surface <= 10_000:
            return self._reject(dispatcher, "surface_min")
        return {"surface_min": int(surface)}

    def validate_rooms(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """Number of rooms (locali) between 1 and 20."""
        rooms = (
            value
            if isinstance(value, int | float)
            else facts.parse_rooms(str(value), language_of(tracker))
        )
        if rooms is None or not 1 <= rooms <= 20:
            return self._reject(dispatcher, "rooms")
        return {"rooms": int(rooms)}

    def validate_timeframe(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """Months from now when computable, else the normalised free text."""
        if isinstance(value, int | float):
            return {"timeframe": int(value)}
        timeframe = facts.parse_timeframe(
            str(value), language_of(tracker), now=message_time(tracker)
        )
        return (
            {"timeframe": timeframe}
            if timeframe is not None
            else self._reject(dispatcher, "timeframe")
        )

    def validate_contact_name(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """A person's name, never a sentence or a number."""
        name = facts.parse_person_name(str(value), language_of(tracker))
        return {"contact_name": name} if name else self._reject(dispatcher, "contact_name")

    def validate_contact_phone(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """A phone number in E.164."""
        phone = facts.parse_phone(str(value))
        return {"contact_phone": phone} if phone else self._reject(dispatcher, "contact_phone")

    def validate_contact_email(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """A syntactically valid e-mail address."""
        email = facts.parse_email(str(value))
        return {"contact_email": email} if email else self._reject(dispatcher, "contact_email")


class ActionSubmitLead(Action):
    """Recaps the qualified lead to the customer and hands it to the sales team."""

    def name(self) -> str:
        """Action name."""
        return "action_submit_lead"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """Utter the recap with formatted values, then open a ``qualified_lead`` ticket."""
        from actions.handoff import request_handoff

        values = format_lead_values(tracker.current_slot_values(), language_of(tracker))
        dispatcher.utter_message(response="utter_lead_recap", **values)
        return await request_handoff(dispatcher, tracker, domain, reason="qualified_lead")
