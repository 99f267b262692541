"""HTTP clients of the services handoff talks to: the hub's outbound path and Rasa."""

from __future__ import annotations

import logging
from typing import Literal

import httpx
from pydantic import BaseModel, ConfigDict, ValidationError
from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_attempt, wait_exponential

from handoff.errors import UpstreamError

logger = logging.getLogger(__name__)


class DeliveryError(Exception):
    """A delivery failed in a way worth retrying (network error, 429, 5xx)."""


class OutboundMessage(BaseModel):
    """Body of ``POST {hub_url}/api/outbound/messages`` (CONTRACTS, Handoff -> hub)."""

    model_config = ConfigDict(extra="forbid")

    to: str
    text: str
    origin: Literal["agent", "system"]
    agent_id: str | None = None
    ticket_id: str | None = None
    idempotency_key: str | None = None


class OutboundAccepted(BaseModel):
    """The hub's answer: the id of the queued outbound message."""

    model_config = ConfigDict(extra="ignore")

    message_id: str


class HubClient:
    """Sends agent replies and notices to the customer through the hub."""

    def __init__(self, http: httpx.AsyncClient, base_url: str, token: str) -> None:
        self.http = http
        self.url = base_url.rstrip("/") + "/api/outbound/messages"
        self.headers = {"Authorization": f"Bearer {token}"}

    async def send_with_retry(self, message: OutboundMessage, attempts: int = 3) -> str:
        """``send`` retried on 429/5xx/network errors (same idempotency key: sent once)."""
        async for attempt in AsyncRetrying(
            stop=stop_after_attempt(attempts),
            wait=wait_exponential(multiplier=0.2, max=1.0),
            retry=retry_if_exception_type(DeliveryError),
            reraise=True,
        ):
            with attempt:
                return await self.send(message)
        raise AssertionError("unreachable: tenacity reraises")

    async def send(self, message: OutboundMessage) -> str:
        """Queue one message on the hub; returns its message id."""
        try:
            response = await self.http.post(
                self.url, json=message.model_dump(mode="json"), headers=self.headers
            )
        except httpx.HTTPError as exc:
            raise DeliveryError(f"hub unreachable at {self.url}: {exc!r}") from exc
        if response.status_code == 429 or response.status_code >= 500:
            raise DeliveryError(f"hub answered {response.status_code} at {self.url}")
        if response.status_code != 202:
            raise UpstreamError(
                f"hub refused the message ({response.status_code}): {response.text[:300]}"
            )
        try:
            return OutboundAccepted.model_validate_json(response.content).message_id
        except ValidationError as exc:
            raise UpstreamError(f"hub answered 202 without a message_id: {exc}") from exc


class RasaClient:
    """Appends events (resume, pause) to a conversation's Rasa tracker."""

    def __init__(self, http: httpx.AsyncClient, base_url: str, token: str | None) -> None:
        self.http = http
        self.base_url = base_url.rstrip("/")
        self.params = {"token": token} if token else {}

    async def append_event(self, sender: str, event: Literal["resume", "pause"]) -> None:
        """``POST /conversations/{sender}/tracker/events`` with ``{"event": ...}``.

        A resume is followed by ``action_listen``: the last bot action was ``action_handoff``,
        and without a listen the next user turn matches no rule (Rasa's core fallback answered
        "I did not understand" to the first question after every handoff).
        """
        url = f"{self.base_url}/conversations/{sender}/tracker/events"
        events: list[dict[str, str]] = [{"event": event}]
        if event == "resume":
            events.append({"event": "action", "name": "action_listen"})
        try:
            response = await self.http.post(url, json=events, params=self.params)
        except httpx.HTTPError as exc:
            raise DeliveryError(f"Rasa unreachable at {url}: {exc!r}") from exc
        if response.status_code >= 300:
            raise DeliveryError(f"Rasa answered {response.status_code} at {url}")
