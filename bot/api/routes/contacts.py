"""Internal contacts API: consent (opt-out / opt-in) recorded by the action server."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from bot.api.deps import KeysDep, RedisDep, ServiceDep

router = APIRouter(prefix="/api/contacts", tags=["contacts"])


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
    at = change.at.isoformat()
    pipe = redis.pipeline(transaction=True)
    pipe.hset(keys.contact(contact), mapping={"consent": change.state, "consent_at": at})
    pipe.xadd(
        keys.consent_log(contact),
        {"state": change.state, "channel": change.channel, "source": change.source, "at": at},
    )
    pipe.sadd(keys.contacts(), contact)
    await pipe.execute()
    return Consent(contact=contact, state=change.state, changed_at=at)


@router.get("/{contact}/consent")
async def get_consent(contact: str, _: ServiceDep, redis: RedisDep, keys: KeysDep) -> Consent:
    """Current consent state (opted in unless the contact opted out)."""
    contact = contact.lstrip("+")
    stored = await redis.hmget(keys.contact(contact), ["consent", "consent_at"])
    state = stored[0] or "opted_in"
    return Consent(contact=contact, state=state, changed_at=stored[1])
