"""Consent of one contact (opt-out / opt-in), recorded on the contact hash and in a log.

The contact hash (``Keys.contact``) holds the current state in ``consent`` (``opted_out`` or
``opted_in``; absent means opted in) and ``consent_at``; every change is also appended to the
contact's consent log stream with where it came from. The same writes are made whether the
customer typed STOP (the Rasa ``stop`` intent → ``action_set_consent`` → the contacts API) or
switched off marketing messages in WhatsApp (Meta's ``user_preferences`` webhook).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from redis.asyncio import Redis

from bot.keys import Keys
from bot.whatsapp.models import MarketingPreference, UserPreference


class ConsentState(StrEnum):
    """Whether proactive messages may be sent to the contact."""

    OPTED_OUT = "opted_out"
    OPTED_IN = "opted_in"


async def record_consent(
    redis: Redis,
    *,
    keys: Keys,
    contact: str,
    state: ConsentState | str,
    at: datetime,
    channel: str = "whatsapp",
    source: str = "customer_message",
) -> None:
    """Set the contact's consent and append the change to its consent log (one transaction)."""
    contact = contact.lstrip("+")
    state = ConsentState(state)
    when = at.isoformat()
    pipe = redis.pipeline(transaction=True)
    pipe.hset(keys.contact(contact), mapping={"consent": state.value, "consent_at": when})
    pipe.xadd(
        keys.consent_log(contact),
        {"state": state.value, "channel": channel, "source": source, "at": when},
    )
    pipe.sadd(keys.contacts(), contact)
    await pipe.execute()


def state_of_preference(preference: UserPreference) -> ConsentState | None:
    """The consent a marketing-preference change means (None for values we don't know)."""
    if preference.value == MarketingPreference.STOP:
        return ConsentState.OPTED_OUT
    if preference.value in (MarketingPreference.RESUME, MarketingPreference.SIGNUP):
        return ConsentState.OPTED_IN
    return None


async def apply_preference(redis: Redis, *, keys: Keys, preference: UserPreference) -> bool:
    """Record a ``user_preferences`` change; False when the value means nothing to us."""
    state = state_of_preference(preference)
    if state is None:
        return False
    await record_consent(
        redis,
        keys=keys,
        contact=preference.wa_id,
        state=state,
        at=preference.at,
        source=f"meta_user_preferences:{preference.value.value}",
    )
    return True


def is_opted_out(contact_fields: dict[str, str]) -> bool:
    """True when the contact hash says the customer opted out."""
    return contact_fields.get("consent") == ConsentState.OPTED_OUT
