"""Internal contacts API: consent (opt-out / opt-in) recorded by the action server."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from bot.api.deps import KeysDep, RedisDep, ServiceDep
from bot.whatsapp.consent import record_consent

router = APIRouter(prefix="/api/contacts", tags=["contacts"])


ConsentValue = Literal["opted_out", "opted_in"]


class ConsentChange(BaseModel):
    """An opt-out or opt-in, with where it came from."""

    model_config = ConfigDict(extra="forbid")

    state: Literal["opted_out", "opted_in"]
    channel: str = "whatsapp"
    source: str = "customer_message"
    at: datetime = Field(default_factory=lambda: datetime.now(tz=UTC))


class Consent(BaseModel):
    """A contact's consent state."""

    contact: str
    state: Literal["opted_out", "opted_in"]
    changed_at: str | None = None


@router.post("/{contact}/consent")
async def set_consent(
    contact: str, change: ConsentChange, _: ServiceDep, redis: RedisDep, keys: KeysDep
) -> Consent:
    """Record the change in the consent log and on the contact."""
    contact = contact.lstrip("+")
    await record_consent(
        redis,
        keys=keys,
        contact=contact,
        state=change.state,
        at=change.at,
        channel=change.channel,
        source=change.source,
    )
    at = change.at.isoformat()
    return Consent(contact=contact, state=change.state, changed_at=at)


@router.get("/{contact}/consent")
async def get_consent(contact: str, _: ServiceDep, redis: RedisDep, keys: KeysDep) -> Consent:
    """Current consent state (opted in unless the contact opted out)."""
    contact = contact.lstrip("+")
    stored = await redis.hmget(keys.contact(contact), ["consent", "consent_at"])
    state: ConsentValue = "opted_out" if stored[0] == "opted_out" else "opted_in"
    return Consent(contact=contact, state=state, changed_at=str(stored[1]) if stored[1] else None)
