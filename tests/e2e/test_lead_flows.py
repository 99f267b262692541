"""End to end: lead qualification through signed webhooks, the real Rasa model and actions."""

from __future__ import annotations

import json

from redis.asyncio import Redis

from facts import detect_language
from tests.e2e.helpers import Customer


async def _tracker_slots(redis: Redis, contact: str) -> dict[str, object]:
    stored = await redis.get(f"rasa:tracker:{contact}")
    assert stored is not None, "the Rasa tracker is not in Redis"
    slots: dict[str, object] = {}
    for event in json.loads(stored)["events"]:
        if event.get("event") == "slot":
            slots[event["name"]] = event["value"]
    return slots


def _all_in(language: str, replies: list[str]) -> bool:
    return all(detect_language(r, default="?") in (language, "?") for r in replies)


async def test_italian_buyer_is_qualified_and_recapped(
    customer_it: Customer, stack_redis: Redis
) -> None:
    first = await customer_it.say("Buongiorno, vorrei comprare casa a Milano")
    assert first and _all_in("it", first)
    assert any("zona" in r.lower() for r in first), first
    budget_q = await customer_it.say("Navigli")
    assert any("budget" in r.lower() for r in budget_q), budget_q
    rooms_q = await customer_it.say("350k")
    assert any("locali" in r.lower() for r in rooms_q), rooms_q
    await customer_it.say("un trilocale")
    name_q = await customer_it.say("entro l'estate")
    assert any("nome" in r.lower() for r in name_q), name_q
    recap = await customer_it.say("Mario Rossi")
    text = " ".join(recap)
    assert "Navigli" in text and "350.000" in text and "Mario Rossi" in text, recap
    slots = await _tracker_slots(stack_redis, customer_it.contact)
    assert slots["lead_type"] == "buy" and slots["area"] == "Navigli"
    assert slots["budget_max"] == 350000 and slots["rooms"] == 3
    assert slots["contact_name"] == "Mario Rossi"
    assert slots["contact_phone"] == f"+{customer_it.contact}"


async def test_english_renter_with_prefilled_facts_is_asked_only_what_is_missing(
    customer_en: Customer, stack_redis: Redis
) -> None:
    first = await customer_en.say("Hi, I'm looking to rent a two-bedroom flat in Isola")
    assert first and _all_in("en", first)
    assert not any("which area" in r.lower() for r in first), first
    await customer_en.say("1200 a month")
    await customer_en.say("from September")
    recap = await customer_en.say("My name is John Smith")
    text = " ".join(recap)
    assert "Isola" in text and "1,200" in text and "John Smith" in text, recap
    slots = await _tracker_slots(stack_redis, customer_en.contact)
    assert slots["lead_type"] == "rent" and slots["area"] == "Isola"
    assert slots["budget_max"] == 1200 and slots["rooms"] == 3
    assert slots["language"] == "en"


async def test_invalid_answer_is_re_asked_and_not_stored(
    customer_it: Customer, stack_redis: Redis
) -> None:
    await customer_it.say("voglio comprare un appartamento")
    await customer_it.say("Isola")
    replies = await customer_it.say("boh, banana")
    assert any("budget" in r.lower() for r in replies), replies
    slots = await _tracker_slots(stack_redis, customer_it.contact)
    assert slots.get("budget_max") in (None, "boh, banana") or "budget_max" not in slots
    replies = await customer_it.say("300 mila")
    slots = await _tracker_slots(stack_redis, customer_it.contact)
    assert slots["budget_max"] == 300000


async def test_faq_in_the_middle_of_the_form_then_back_to_the_form(
    customer_it: Customer,
) -> None:
    await customer_it.say("vorrei vendere il mio appartamento")
    replies = await customer_it.say("ma quanto prendete di provvigione?")
    text = " ".join(replies).lower()
    assert "%" in text or "provvigion" in text, replies
    assert any("zona" in r.lower() for r in replies), "the form must ask its question again"
