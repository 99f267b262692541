"""Handoff service client: the hub asks it whether a human owns a conversation.

Over HTTP with the service token (a separate ``wabot worker`` process), or, when the handoff
service runs in the same process (the hub, by default), by a direct call on the hot path: the
gate is read for every customer message, and the HTTP round trip to ourselves cost more than
the Redis read behind it.
"""

from __future__ import annotations

from collections.abc import Awaitable
from datetime import datetime
from typing import Any, Literal, Protocol

import httpx
from pydantic import BaseModel, ConfigDict
from redis.exceptions import RedisError


class HandoffUnavailableError(RuntimeError):
    """The handoff service did not answer; the message waits (never risk speaking over a human)."""


class Gate(BaseModel):
    """Who owns the conversation."""

    model_config = ConfigDict(extra="ignore")

    mode: Literal["bot", "human"]
    ticket_id: str | None = None


class LocalGate(Protocol):
    """The in-process handoff service's gate (``handoff.tickets.TicketService``)."""

    def gate(self, phone: str) -> Awaitable[Any]:
        """``GateState`` of the contact (``mode``, ``ticket_id``)."""
        ...


class HandoffClient:
    """Calls the handoff API with the service token (or in process, see ``use_local``)."""

    def __init__(self, http: httpx.AsyncClient, base_url: str, token: str) -> None:
        self._http = http
        self._base = base_url.rstrip("/")
        self._headers = {"Authorization": f"Bearer {token}"}
        self._local: LocalGate | None = None

    def use_local(self, service: LocalGate | None) -> None:
        """Read the gate from the handoff service running in this process (None: over HTTP)."""
        self._local = service

    async def gate(self, contact: str) -> Gate:
        """Return whether the bot or a human owns the conversation with ``contact``."""
        if self._local is not None:
            try:
                state = await self._local.gate(f"+{contact}")
            except RedisError as exc:
                raise HandoffUnavailableError(repr(exc)) from exc
            return Gate(mode=state.mode, ticket_id=state.ticket_id)
        url = f"{self._base}/api/handoff/conversations/+{contact}/gate"
        try:
            response = await self._http.get(url, headers=self._headers)
        except httpx.TransportError as exc:
            raise HandoffUnavailableError(repr(exc)) from exc
        if response.status_code >= 500:
            raise HandoffUnavailableError(f"handoff answered {response.status_code}")
        response.raise_for_status()
        return Gate.model_validate(response.json())

    async def forward(
        self,
        *,
        contact: str,
        text: str,
        kind: str,
        wamid: str,
        sent_at: datetime,
        media_id: str | None,
    ) -> bool:
        """Append a customer message to the open ticket; False when no ticket is open."""
        url = f"{self._base}/api/handoff/conversations/+{contact}/messages"
        body = {
            "text": text,
            "type": kind,
            "wamid": wamid,
            "ts": sent_at.isoformat(),
            "media_id": media_id,
        }
        try:
            response = await self._http.post(url, json=body, headers=self._headers)
        except httpx.TransportError as exc:
            raise HandoffUnavailableError(repr(exc)) from exc
        if response.status_code == 404:
            return False
        if response.status_code >= 500:
            raise HandoffUnavailableError(f"handoff answered {response.status_code}")
        response.raise_for_status()
        return True

    async def export_contact(self, contact: str) -> dict[str, Any]:
        """The contact's tickets and audit entries as the handoff service exports them."""
        url = f"{self._base}/api/handoff/conversations/+{contact}/export"
        return await self._json("GET", url)

    async def erase_contact(self, contact: str, actor: str) -> dict[str, Any]:
        """Erase the contact's tickets and audit entries; returns the counts."""
        url = f"{self._base}/api/handoff/conversations/+{contact}"
        return await self._json("DELETE", url, params={"actor": actor})

    async def apply_retention(self, cutoff: datetime) -> dict[str, Any]:
        """Erase tickets resolved before ``cutoff``; returns the counts."""
        url = f"{self._base}/api/handoff/retention"
        return await self._json("POST", url, json={"resolved_before": cutoff.isoformat()})

    async def _json(self, method: str, url: str, **kwargs: Any) -> dict[str, Any]:
        try:
            response = await self._http.request(method, url, headers=self._headers, **kwargs)
        except httpx.TransportError as exc:
            raise HandoffUnavailableError(repr(exc)) from exc
        if response.status_code >= 500:
            raise HandoffUnavailableError(f"handoff answered {response.status_code}")
        response.raise_for_status()
        body: dict[str, Any] = response.json()
        return body
